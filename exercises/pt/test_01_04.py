def test():
    assert len(PAISES) == 5, "Leia a lista de países do arquivo."
    assert achados == ["Portugal", "Brasil", "Cabo Verde"], "Encontre cada país do texto."
    __msg__.good("Muito bem: um PhraseMatcher recebe uma lista inteira de termos.")
