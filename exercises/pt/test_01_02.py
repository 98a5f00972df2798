def test():
    assert isinstance(hash_cafe, int), "O hash de uma string é um número: procure a string."
    assert string_cafe == "café", "Procure o hash para ter a string de volta."
    assert "strings[hash_cafe]" in __solution__, "Use o hash que você encontrou, não a palavra outra vez."
    __msg__.good("Isso: o armazém de strings leva de strings a hashes e de volta.")
