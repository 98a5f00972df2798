import spacy

nlp = spacy.blank("pt")
doc = nlp("Eu gosto de café")

# O hash de "café", depois a string desse hash
hash_cafe = nlp.vocab.strings["café"]
string_cafe = nlp.vocab.strings[hash_cafe]
print(hash_cafe, string_cafe)
