def test():
    assert nlp.pipe_names == ["ner"], "Add the ner component."
    assert ner.labels == ("GADGET",), "Add the label GADGET."
    assert "initialize()" in __solution__, "Initialize the pipeline with nlp.initialize()."
    __msg__.good("Well done: the pipeline is ready to learn.")
