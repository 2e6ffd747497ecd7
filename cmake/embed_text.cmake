# Writes OUTPUT, a C file defining `const char NAME[]` with the text of INPUT.
file(READ ${INPUT} text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "\n" "\\n\"\n  \"" text "${text}")
file(WRITE ${OUTPUT}.tmp "/* Generated from ${INPUT}. Do not edit. */\nconst char ${NAME}[] =\n  \"${text}\";\n")
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
