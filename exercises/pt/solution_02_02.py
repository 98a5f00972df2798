import spacy

nlp = spacy.blank("pt")
ruler = nlp.add_pipe("entity_ruler")
padroes = [{"label": "ANIMAL", "pattern": [{"LOWER": "bicho-preguiça"}]}]
ruler.add_patterns(padroes)

doc = nlp("Um bicho-preguiça e um tatu.")
entidades = [(ent.text, ent.label_) for ent in doc.ents]
print(entidades)
