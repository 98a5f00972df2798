"""Model aliases and warm models: a pipeline loaded once in the worker, private to each deck."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli, write_deck


@pytest.fixture(scope="module")
def tiny_pipeline(tmp_path_factory):
    """A small real pipeline on disk (no download): a blank English nlp with a rule-based
    entity ruler, as a course would ship or train it."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "GADGET", "pattern": "iPhone"}])
    nlp.meta["name"] = "tiny_test"
    nlp.meta["version"] = "0.0.1"
    path = tmp_path_factory.mktemp("models") / "tiny"
    nlp.to_disk(path)
    return path


def test_alias_loads_the_target_and_decks_do_not_share_state(tmp_path, tiny_pipeline, verify):
    first = write_deck(tmp_path, "a.md", '''
        # Adds a pipe

        ```python
        import spacy
        nlp = spacy.load("en_core_web_sm")
        nlp.add_pipe("sentencizer")
        from spacy.tokens import Doc
        Doc.set_extension("leak", default="from deck a")
        [(e.text, e.label_) for e in nlp("I love my iPhone").ents], nlp.pipe_names
        ```

        ```out
        ([('iPhone', 'GADGET')], ['entity_ruler', 'sentencizer'])
        ```
        ''')
    second = write_deck(tmp_path, "b.md", '''
        # Sees a fresh model

        ```python
        import spacy
        from spacy.tokens import Doc
        nlp = spacy.load("en_core_web_sm")
        nlp.pipe_names, Doc.has_extension("leak")
        ```

        ```out
        (['entity_ruler'], False)
        ```
        ''')
    results = verify(first, second, jobs=1, models={"en_core_web_sm": str(tiny_pipeline)})
    assert [[r.status for r in d.blocks] for d in results] == [["passed"], ["passed"]]


def test_requires_a_missing_model_is_unverified(tmp_path, verify):
    deck = write_deck(tmp_path, "r.md", '''
        # Needs a model

        ```python {requires=xx_no_such_model}
        import spacy
        nlp = spacy.load("xx_no_such_model")
        ```

        ```python
        print("the deck goes on")
        ```
        ''')
    [result] = verify(deck)
    assert [r.status for r in result.blocks] == ["unverified", "passed"]
    assert "xx_no_such_model" in result.blocks[0].message


def test_cli_model_option_and_report_environment(tmp_path, tiny_pipeline):
    deck = write_deck(tmp_path / "d", "m.md", '''
        # Alias on the command line

        ```python
        import spacy
        spacy.load("en_core_web_md").pipe_names
        ```

        ```out
        ['entity_ruler']
        ```
        ''')
    report = tmp_path / "r.json"
    done = run_cli("check", str(deck), "--model", f"en_core_web_md={tiny_pipeline}",
                   "--no-cache", "--json", str(report), "-q")
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text())
    assert data["decks"][0]["blocks"][0]["status"] == "passed"
    model = data["environment"]["models"]["en_core_web_md"]
    assert model["target"] == str(tiny_pipeline) and "0.0.1" in model["version"]
    bad = run_cli("check", str(deck), "--model", "no-equals-sign")
    assert bad.returncode == 2 and "NAME=TARGET" in bad.stderr
