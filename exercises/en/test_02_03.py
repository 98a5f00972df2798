def test():
    assert Token.has_extension("is_color"), "Set the extension is_color on Token."
    assert colors == ["Red", "blue"], "Compare the token's lowercase form with the colors."
    __msg__.good("Well done: your own attribute on every token.")
