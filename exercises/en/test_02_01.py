def test():
    assert nlp.pipe_names == ["token_counter"], "Add the component by the name it was registered with."
    assert "return doc" in __solution__, "A component returns the doc."
    __msg__.good("Well done: your first pipeline component.")
