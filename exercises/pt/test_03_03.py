def test():
    assert "nlp.update(exemplos" in __solution__, "Atualize com os exemplos, não com os textos."
    assert list(perdas) == ["ner"], "Passe o dicionário de perdas: nlp.update o preenche."
    assert perdas["ner"] > 0, "As perdas se somam a cada atualização."
    __msg__.good("Muito bem: três épocas de treino.")
