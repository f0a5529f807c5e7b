"""S-NI ROUGE-L / EM on hand-worked cases; P3 aggregation over templates and paper columns."""

import random

import pytest
from rouge_score import rouge_scorer

from hart.evaluate import metrics


def test_rouge_l_hand_worked():
    # tokens: the cat sat on the mat / the cat is on the mat; LCS = "the cat on the mat" = 5 of 6
    assert metrics.rouge_l("the cat sat on the mat", "the cat is on the mat") == pytest.approx(5 / 6)
    # LCS 2 of 3 (pred) and 2 of 4 (ref): P = 2/3, R = 1/2, F = 2PR/(P+R) = 4/7
    assert metrics.rouge_l("a b c", "a x b y") == pytest.approx(4 / 7)


def test_rouge_l_stems_only_words_longer_than_three_chars():
    assert metrics.rouge_l("Running dogs", "run dog") == 1.0  # running->run, dogs->dog
    assert metrics.rouge_l("was", "wa") == 0.0  # Porter would map was->wa, but 3-char words are kept


def test_rouge_l_tokenization_lowercases_and_splits_on_non_alphanumerics():
    assert metrics.rouge_l("Hello, World!", "hello world") == 1.0
    assert metrics.rouge_l("don't", "dont") == 0.0  # "don t" vs "dont": apostrophe becomes a space
    assert metrics.rouge_l("", "anything") == 0.0


def test_exact_match_strips_punctuation_and_whitespace():
    assert metrics.exact_match("  Don't!  ", "dont") == 1.0  # punctuation removed, not replaced
    assert metrics.exact_match("The  answer.", "the answer") == 1.0
    assert metrics.exact_match("the answer", "an answer") == 0.0


def _rows(spec):
    return [{"id": f"{t}-{i}", "task": t, "category": c, "references": refs}
            for i, (t, c, refs) in enumerate(spec)]


def test_max_over_references_and_missing_predictions():
    rows = _rows([("t1", "c", ["no", "Yes."]), ("t1", "c", ["yes"])])
    scores = metrics.sni_scores(rows, {"t1-0": "yes"})  # second row has no prediction
    assert scores["rougeL"] == pytest.approx(50.0)
    assert scores["exact_match"] == pytest.approx(50.0)
    assert scores["missing"] == 1


def test_micro_average_differs_from_macro_and_is_returned():
    rows = _rows([("a", "x", ["yes"]), ("b", "y", ["yes"]), ("b", "y", ["yes"]), ("b", "y", ["yes"])])
    preds = {"a-0": "yes", "b-1": "no", "b-2": "no", "b-3": "no"}
    scores = metrics.sni_scores(rows, preds)
    assert scores["rougeL"] == pytest.approx(25.0)  # micro: 1 of 4 instances
    assert metrics.macro_over_tasks(scores["per_task"]) == pytest.approx(50.0)  # mean of 100 and 0
    assert scores["per_task"]["a"] == {"rougeL": 100.0, "exact_match": 100.0, "n": 1}
    assert scores["per_category"]["y"]["rougeL"] == 0.0


def test_prediction_file_rouge_equals_rouge_score_library():
    rng = random.Random(0)
    words = "the a cat dogs running ran blue sky, is was were jumped jumping over lazy fox. 42 Hello!".split()
    rows, preds = [], {}
    for i in range(60):
        refs = [" ".join(rng.choices(words, k=rng.randint(1, 9))) for _ in range(rng.randint(1, 3))]
        rows.append({"id": str(i), "task": f"t{i % 4}", "category": "c", "references": refs})
        preds[str(i)] = " ".join(rng.choices(words, k=rng.randint(0, 9)))
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)  # independent library instance
    expected = 100 * sum(max(scorer.score(r, preds[row["id"]])["rougeL"].fmeasure for r in row["references"])
                         for row in rows) / len(rows)
    assert metrics.sni_scores(rows, preds)["rougeL"] == pytest.approx(expected, abs=1e-9)


def test_p3_mean_and_median_over_templates_then_columns():
    rows, preds = [], {}

    def add(task, template, label, pred, k):
        rid = f"{task}|{template}|{k}"
        rows.append({"id": rid, "task": task, "template": template, "label": label})
        preds[rid] = pred

    # super_glue/cb: templates at 100, 0, 50 % -> mean 50, median 50; make mean != median with 4 templates
    for tpl, hits in (("t1", [1, 1]), ("t2", [0, 0]), ("t3", [1, 0]), ("t4", [1, 1])):
        for k, h in enumerate(hits):
            add("super_glue/cb", tpl, 0, 0 if h else 1, k)
    # anli r1 at 100 %, r2 at 0 %: one ANLI column = mean of the rounds = 50
    add("anli/r1", "t", 1, 1, 0)
    add("anli/r2", "t", 1, 2, 0)
    s = metrics.p3_scores(rows, preds)
    assert s["per_task"]["super_glue/cb"]["mean"] == pytest.approx(62.5)  # (100+0+50+100)/4
    assert s["per_task"]["super_glue/cb"]["median"] == pytest.approx(75.0)
    assert s["columns"] == {"ANLI": pytest.approx(50.0), "CB": pytest.approx(62.5)}
    assert s["accuracy"] == pytest.approx((50.0 + 62.5) / 2)
    assert s["accuracy_median"] == pytest.approx((50.0 + 75.0) / 2)
    assert s["accuracy_over_tasks"] == pytest.approx((62.5 + 100 + 0) / 3)


def test_p3_column_names():
    assert metrics.p3_column("super_glue/wsc.fixed") == "WSC"
    assert metrics.p3_column("winogrande/winogrande_xl") == "WGD"
    assert metrics.p3_column("anli/r3") == "ANLI"
    assert metrics.p3_column("super_glue/cb") == "CB"
    assert metrics.p3_column("suite_anli_r2") == "ANLI"  # the embedded suite's stand-ins
    assert metrics.p3_column("suite_hellaswag") == "HSwag"
    assert metrics.p3_column("suite/arith") == "suite/arith"
