def test():
    assert achados == ["iPhone 15", "iphone 14"], "Os dois telefones, com qualquer capitalização."
    assert '"LOWER"' in __solution__, "Compare a forma minúscula do token."
    __msg__.good("Muito bem: um padrão, duas grafias.")
