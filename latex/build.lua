-- l3build configuration of the LaTeX package pith: `l3build check` runs the
-- regression tests of testfiles/ (.lvt against .tlg), `l3build doc` typesets
-- the manual pith.pdf from pith.tex.  pith.sty is the source itself (no .ins):
-- it is installed as it is.
module = "pith"

sourcefiles = {"pith.sty"}
installfiles = {"pith.sty"}
unpackfiles = {}
typesetfiles = {"pith.tex"}
docfiles = {"README.md", "CHANGELOG.md"}
textfiles = {"README.md", "CHANGELOG.md"}

testfiledir = "testfiles"
supportdir = "testfiles/support"
checkengines = {"pdftex"}
stdengine = "pdftex"
checkruns = 1
checkopts = "-interaction=nonstopmode"
-- Logs unwrapped on every TeX Live: l3build 2024 and later default to 9999 (and set
-- l3msg's line count to match); the .lvt files do the latter for older ones.
maxprintline = 9999
