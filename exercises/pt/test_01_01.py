def test():
    assert primeiro.i == 0, "O primeiro token tem o índice 0."
    assert lugar.text == "floresta tropical", "Um trecho termina antes do índice depois dos dois-pontos."
    __msg__.good("Muito bem: índices e fatias funcionam num Doc como numa lista.")
