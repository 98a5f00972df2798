def test():
    assert Token.has_extension("e_cor"), "Defina a extensão e_cor em Token."
    assert cores == ["Vermelho", "azul"], "Compare a forma minúscula do token com as cores."
    __msg__.good("Muito bem: um atributo seu em cada token.")
