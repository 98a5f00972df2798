def test():
    assert esperado == [("Lisboa", "LOC"), ("Recife", "LOC")], "Passe o doc, depois as anotações."
    __msg__.good("Isso: um Example junta o que o modelo vê com o que ele deve prever.")
