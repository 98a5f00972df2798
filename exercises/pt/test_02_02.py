def test():
    assert "entity_ruler" in nlp.pipe_names, "Adicione o componente entity_ruler da spaCy."
    assert entidades == [("bicho-preguiça", "ANIMAL")], "Rotule o animal como ANIMAL."
    __msg__.good("Isso: entidades a partir de regras, sem modelo nenhum.")
