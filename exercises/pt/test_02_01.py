def test():
    assert nlp.pipe_names == ["contador_de_tokens"], "Adicione o componente pelo nome com que foi registrado."
    assert "return doc" in __solution__, "Um componente devolve o doc."
    __msg__.good("Muito bem: o seu primeiro componente de pipeline.")
