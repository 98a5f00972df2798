def test():
    assert "entity_ruler" in nlp.pipe_names, "Add spaCy's entity_ruler component."
    assert entities == [("tree kangaroo", "ANIMAL")], "Label the animal ANIMAL."
    __msg__.good("Right: entities from rules, no model needed.")
