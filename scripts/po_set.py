import re, sys, json
def po_set(path, mapping):
    text = open(path, encoding="utf-8").read()
    blocks = text.split("\n\n")
    done = set()
    out = []
    for b in blocks:
        m = re.search(r'^msgid "(.*)"$', b, re.M)
        ctx = re.search(r'^msgctxt "(.*)"$', b, re.M)
        if m and not ctx and m.group(1) in mapping and "msgid_plural" not in b:
            key = m.group(1)
            lines = [l for l in b.split("\n") if not l.startswith("#| ")]
            lines = [l.replace("#, fuzzy, ", "#, ").replace(", fuzzy", "") if l.startswith("#,") else l for l in lines]
            lines = [l for l in lines if l.strip() != "#, fuzzy" and l.strip() != "#,"]
            # drop old msgstr (may be multi-line)
            i = next(i for i, l in enumerate(lines) if l.startswith("msgstr"))
            lines = lines[:i] + ['msgstr ' + json.dumps(mapping[key], ensure_ascii=False)]
            b = "\n".join(lines)
            done.add(key)
        out.append(b)
    open(path, "w", encoding="utf-8").write("\n\n".join(out))
    missing = set(mapping) - done
    if missing: print("NOT FOUND", path, missing)
