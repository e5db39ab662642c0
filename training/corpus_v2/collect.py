"""Gathers the extracted packages of build.sh into one text file per source (see build.sh)."""
import glob, html, os, re, subprocess, sys, zipfile

from sources import Sources

OUT = sys.argv[1]
X = os.path.join(OUT, 'x')
sources = Sources(OUT)
write = sources.write


def read(path):
    try:
        with open(path, encoding='utf-8') as f:
            return f.read()
    except (UnicodeDecodeError, OSError):
        return ''


def files(pattern, exclude=None):
    return sorted(p for p in glob.glob(os.path.join(X, pattern), recursive=True) if os.path.isfile(p) and not (exclude and re.search(exclude, p)))


def strip_html(text):
    text = re.sub(r'(?is)<(script|style)\b.*?</\1>', '', text)
    text = re.sub(r'(?s)<[^>]+>', '', text)
    text = html.unescape(text)
    return re.sub(r'\n\s*\n\s*\n+', '\n\n', text)


def man_text(path):
    """A (gzipped) man page rendered to plain UTF-8 text by groff."""
    try:
        src = subprocess.run(['zcat', '-f', path], capture_output=True, timeout=20).stdout
        # long lines, no hyphenation, left-adjusted: prose as written, not justified for a terminal
        r = subprocess.run(['groff', '-man', '-Tutf8', '-P-cbou', '-Kutf8', '-rLL=2000n', '-rHY=0', '-dAD=l'], input=src, capture_output=True, timeout=20)
        return r.stdout.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired:
        return ''


# code
write('go_stdlib', 'code', 'BSD-3-Clause (Debian golang-1.19-src)', [read(p) for p in files('golang-1.19-src/**/*.go', r'_test\.go$|/testdata/')], 8)
write('rust_stdlib', 'code', 'MIT OR Apache-2.0 (Debian rust-src)', [read(p) for p in files('rust-src/**/*.rs', r'/tests?/')], 6)
write('boost_headers', 'code', 'BSL-1.0 (Debian libboost1.81-dev)', [read(p) for p in files('libboost1.81-dev/usr/include/boost/**/*.hpp')], 6)
java = []
for z in files('openjdk-17-source/**/src.zip'):
    with zipfile.ZipFile(z) as zf:
        for n in zf.namelist():
            if n.endswith('.java') and '/java/' in n and 'gson' not in n.lower():
                java.append(zf.read(n).decode('utf-8', 'replace'))
write('openjdk_src', 'code', 'GPL-2.0 with Classpath exception (Debian openjdk-17-source)', java, 5)
ts = [read(p) for p in glob.glob(os.path.join(OUT, 'npm/typescript-*/package/lib/*.d.ts'))]
ts += [read(p) for p in glob.glob(os.path.join(OUT, 'npm/types-node-*/package/**/*.d.ts'), recursive=True)]
write('ts_declarations', 'code', 'Apache-2.0 (npm typescript lib) / MIT (npm @types/node)', ts, 6)
# data and markup
write('iso_codes_json', 'data', 'LGPL-2.1+ (Debian iso-codes)', [read(p) for p in files('iso-codes/usr/share/iso-codes/json/*.json')], 4)
write('rust_doc_html', 'markup', 'MIT OR Apache-2.0 (Debian rust-doc)', [read(p) for p in files('rust-doc/usr/share/doc/rust-doc/html/**/*.html', r'/src/')], 6)
# other languages
for lang in ['ru', 'de', 'fr', 'es', 'zh']:
    pages = files(f'manpages-{lang}/usr/share/man/**/*.gz')
    write(f'manpages_{lang}', 'prose-' + lang, 'GPL-2+ / man-pages licences (Debian manpages-' + lang + ')', [man_text(p) for p in pages[:1500]], 6)
for lang, pkg in [('de', 'de'), ('fr', 'fr'), ('es', 'es'), ('zh', 'zh-cn')]:
    docs = [strip_html(read(p)) for p in files(f'debian-reference-{pkg}/**/*.html')]
    write(f'debref_{lang}', 'prose-' + lang, 'GPL-2+ (Debian debian-reference-' + pkg + ')', docs, 3)
sources.save_tsv()
