def test():
    assert nlp.pipe_names == ["ner"], "Adicione o componente ner."
    assert ner.labels == ("APARELHO",), "Adicione o rótulo APARELHO."
    assert "initialize()" in __solution__, "Inicialize o pipeline com nlp.initialize()."
    __msg__.good("Muito bem: o pipeline está pronto para aprender.")
