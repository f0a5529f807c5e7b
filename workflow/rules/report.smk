# Stage `report`: results/<table>.{csv,md,tex} and results/<figure>.{png,pdf}.


rule report_table:
    """One paper table from its runs' evaluation JSONs (the runs are listed in config.yaml)."""
    input:
        results=table_inputs,
    output:
        csv="results/{name}.csv",
        md=report("results/{name}.md", category="Tables", caption="../report/table.rst"),
        tex="results/{name}.tex",
    log:
        f"{LOGS}/report/{{name}}.log",
    wildcard_constraints:
        name=r"table\d+",
    conda:
        ENV
    params:
        maps=report_maps,
        code=code_hash("report"),  # rerun when the stage's code changes (common.smk STAGE_CODE)
    shell:
        "hart report table --name {wildcards.name} --results {input.results} {params.maps}"
        " --out results/{wildcards.name} > {log} 2>&1"


rule report_figure:
    """One paper figure: training-loss curves (fig3, fig4) or the attention map (fig1)."""
    input:
        inputs=figure_inputs,
    output:
        png=report("results/{name}.png", category="Figures", caption="../report/figure.rst"),
        pdf="results/{name}.pdf",
        data="results/{name}.csv",  # the plotted values (dvc.yaml plots)
    log:
        f"{LOGS}/report/{{name}}.log",
    wildcard_constraints:
        name=r"fig\d+",
    conda:
        ENV
    params:
        inputs=train_logs,
        code=code_hash("report"),
        caption=figure_caption,
    shell:
        "hart report figure --name {wildcards.name} --inputs {params.inputs}"
        " --caption {params.caption:q} --out results/{wildcards.name} > {log} 2>&1"


rule report_plot_data:
    """A run's training log as CSV, for `dvc plots show` (DVC reads JSON/YAML/CSV/TSV, not JSONL)."""
    input:
        done="results/train/{run}/done.json",
    output:
        csv="results/plots/{run}.csv",
    log:
        f"{LOGS}/report/plots/{{run}}.log",
    wildcard_constraints:
        run=r"[a-z0-9-]+/(tiny|small|large|xl)/[a-z0-9.-]+/seed\d+",
    localrule: True
    conda:
        ENV
    params:
        train_log=lambda wc, input: f"{os.path.dirname(input.done)}/train_log.jsonl",
        code=code_hash("report"),
    shell:
        "hart report log-csv {params.train_log} {output.csv} > {log} 2>&1"
