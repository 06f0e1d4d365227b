"""Executes a notebook headless (used by .ci/run).

python run_notebook.py NOTEBOOK.ipynb [--save]   (--save writes the outputs back)
"""
import sys
from pathlib import Path

import nbclient
import nbformat

path = Path(sys.argv[1])
nb = nbformat.read(path, as_version=4)
nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
if "--save" in sys.argv[2:]:
    nbformat.write(nb, path)
print(f"{path}: executed {sum(c.cell_type == 'code' for c in nb.cells)} code cells without error")
