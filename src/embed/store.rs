//! Where models live: `--model DIR`, `CITESEEK_MODEL`, or the copy in citeseek's cache
//! directory that `citeseek model import` and `citeseek model fetch` put there.
