# Stage `data`: raw benchmarks -> episode files (docs/design.md, "Episode files").


rule data_suite:
    """The embedded suite (tiny/small scales): S-NI- and P3-style tasks and a tokenizer, offline."""
    output:
        sni=directory("data/suite/suite-sni/raw"),
        p3=directory("data/suite/suite-p3"),
        tokenizer=directory("data/suite/tokenizer"),
    log:
        f"{LOGS}/data/suite.log",
    conda:
        ENV
    params:
        code=code_hash("data"),  # rerun when the stage's code changes (common.smk STAGE_CODE)
    shell:
        "hart data suite --out data/suite --seed 0 > {log} 2>&1"


rule data_suite_c4:
    """C4-style pretraining corpus cut from the suite text: the tiny/small stand-in for C4
    (HINT and HyperTuning-PT pretraining, paper Section 4.1)."""
    input:
        sni="data/suite/suite-sni/raw",
        p3="data/suite/suite-p3",
    output:
        corpus=directory("data/suite/suite-c4"),
    log:
        f"{LOGS}/data/suite-c4.log",
    conda:
        ENV
    params:
        code=code_hash("data"),
    shell:
        "hart data c4-from-suite --suite data/suite --out {output.corpus} --seed 0 > {log} 2>&1"


rule data_download:
    """A real benchmark, the T5 tokenizer (`t5`) or the pretrained weights (`hub`: LM-adapt Large
    and XL and T0-3B through huggingface_hub at a commit the lock records; config/scale/{large,xl}.yaml
    point model.pretrained at data/cache/hub/<model>) into data/cache/<source>/.
    The output is a copy of the downloader's lock file (sha256 of every file), not the folder:
    Snakemake deletes a directory() output before rerunning, which would throw the cache away.
    params carry only this source's entry, so editing another source reruns nothing here.
    Runs on the submit host: compute nodes rarely have internet."""
    output:
        lock="data/cache/{source}.lock.json",
    log:
        f"{LOGS}/data/download-{{source}}.log",
    wildcard_constraints:
        source="|".join(DOWNLOADS),
    localrule: True
    conda:
        ENV
    params:
        source=lambda wc: download_source(wc.source),
    shell:
        "hart data download --config config/data/sources.yaml --source {wildcards.source}"
        " --cache data/cache > {log} 2>&1"
        " && cp data/cache/{wildcards.source}/sources.lock.json {output.lock}"


rule data_config:
    """The resolved config of one benchmark's episodes (params: a plain dict, so that a changed
    key rebuilds exactly these episodes)."""
    output:
        config="data/episodes/{benchmark}/config.json",
    log:
        f"{LOGS}/data/config-{{benchmark}}.log",
    localrule: True
    conda:
        ENV
    params:
        config=lambda wc: episodes_config(wc.benchmark),
    shell:
        "printf '%s\\n' {params.config:q} > {output.config} 2> {log}"


rule data_episodes_copy:
    """Episode files a data rule already wrote (`built: true` in run.sources, e.g. suite-p3)."""
    input:
        raw=raw_input,
    output:
        train="data/episodes/{benchmark}/train.jsonl",
        test="data/episodes/{benchmark}/test.jsonl",
        stats="data/episodes/{benchmark}/stats.json",
    log:
        f"{LOGS}/data/episodes-{{benchmark}}.log",
    wildcard_constraints:
        benchmark="|".join(b for b, s in GRID["sources"].items() if s.get("built")) or "^$",
    localrule: True
    conda:
        ENV
    params:
        raw=lambda wc: GRID["sources"][wc.benchmark]["raw"],
    shell:
        "cp {params.raw}/train.jsonl {params.raw}/test.jsonl {params.raw}/stats.json"
        " data/episodes/{wildcards.benchmark}/ > {log} 2>&1"


ruleorder: data_episodes_copy > data_episodes


rule data_episodes:
    """Episode files (train/test JSONL + stats) of one benchmark."""
    input:
        config="data/episodes/{benchmark}/config.json",
        raw=raw_input,
        tokenizer=tokenizer_input,
    output:
        train="data/episodes/{benchmark}/train.jsonl",
        test="data/episodes/{benchmark}/test.jsonl",
        stats="data/episodes/{benchmark}/stats.json",
    log:
        f"{LOGS}/data/episodes-{{benchmark}}.log",
    conda:
        ENV
    params:
        benchmark=lambda wc: GRID["sources"][wc.benchmark]["benchmark"],
        code=code_hash("data"),
        raw=lambda wc: GRID["sources"][wc.benchmark]["raw"],
        tokenizer=lambda wc: tokenizer_path(wc.benchmark),
    shell:
        "hart data episodes --config {input.config} --benchmark {params.benchmark}"
        " --raw {params.raw} --out data/episodes/{wildcards.benchmark}"
        " --tokenizer {params.tokenizer} > {log} 2>&1"
