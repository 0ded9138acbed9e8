"""Executing the report notebook on a study and rendering it as a self-contained HTML page.

``render_report(input, out)`` checks the input first (same errors as ``check``), runs
``analysis/notebooks/report.ipynb`` with the input path injected after its ``parameters`` cell
(papermill convention), and writes ``out/report.html``, ``out/figures/`` and ``out/tables/``.
Everything is built in a temporary folder beside ``out`` and moved into place at the end, so a
failed run leaves no half-written report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from ._page import ANSI_ESCAPES
from .io import Limits, read_study
from .privacy import find_identifying, format_findings

__all__ = [
    "ReportError",
    "execute_notebook",
    "find_notebook",
    "refresh_notebook",
    "render_report",
]

_KERNEL = "python3"


class ReportError(Exception):
    """The report could not be produced (data errors, or a notebook cell failed)."""


def find_notebook(name: str = "report.ipynb") -> Path:
    """Return the path of a notebook shipped in the package (``analysis/notebooks/``).

    Found through :mod:`importlib.resources`, so wherever the package is installed.
    """
    from ._resources import resource_path

    try:
        return resource_path("notebooks", name)
    except FileNotFoundError as exc:
        raise ReportError(str(exc)) from None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(2**20), b""):
            h.update(chunk)
    return h.hexdigest()


def _import_nbformat():
    """Import and return :mod:`nbformat` without jsonschema's optional IRI format check.

    jsonschema (which nbformat imports) loads ``rfc3987_syntax`` when it is installed, and
    that module compiles some forty grammars on import: 3-5 s on a 2-core machine, more than
    pandas, matplotlib and scipy together. nbformat never checks formats (its schemas have
    no ``iri`` format and it passes no format checker), so the module is hidden while
    jsonschema is first imported; importing ``rfc3987_syntax`` later still works.
    """
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
        try:
            import jsonschema  # noqa: F401
        finally:
            if sys.modules.get("rfc3987_syntax", 0) is None:
                del sys.modules["rfc3987_syntax"]
    import nbformat

    return nbformat


def execute_notebook(
    notebook: Path, parameters: dict[str, object], *, cwd: Path, progress: bool = False,
    timeout: int = 600, kernel: bool | None = None,
):
    """Run a notebook with ``parameters`` injected after its ``parameters``-tagged cell.

    Parameters
    ----------
    notebook : pathlib.Path
        The notebook file (read, never written).
    parameters : dict
        ``{name: value}`` assigned in a cell inserted after the ``parameters`` cell.
    cwd : pathlib.Path
        Working folder of the cells.
    progress : bool, default False
        Print a cell counter on standard error.
    timeout : int, default 600
        Seconds a cell may take (in a kernel only).
    kernel : bool, optional
        Run the cells in a separate Jupyter kernel (``True``) or in this process with an
        IPython shell of its own (``False``: no kernel start-up, and the libraries already
        imported here are not imported again). By default a kernel is used only when this
        is called from inside IPython (a notebook), whose shell must not be replaced.

    Returns
    -------
    dict
        The executed notebook (nbformat 4), with the outputs of every code cell: an
        ``nbformat.NotebookNode`` when run in a kernel, else a dict whose keys also read as
        attributes (``nb.cells[0].outputs``).

    Raises
    ------
    ReportError
        A cell raised (the message names the cell and the error).
    """
    if kernel is None:
        kernel = _inside_ipython()
    nb = _read_notebook(Path(notebook))
    source = "# Parameters injected by analysis.report\n" + "\n".join(
        f"{k} = {v!r}" for k, v in parameters.items()
    )
    injected = _Node(cell_type="code", id="injected-parameters", execution_count=None,
                     metadata=_Node(tags=["injected-parameters"]), outputs=[], source=source)
    index = next((i for i, c in enumerate(nb.cells)
                  if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    nb.cells.insert(0 if index is None else index + 1, injected)
    if kernel:  # nbclient works on nbformat's notebook objects
        nb = _import_nbformat().from_dict(nb)

    code_cells = sum(1 for c in nb.cells if c.cell_type == "code")
    stderr = sys.stderr
    done = [0]
    live = stderr.isatty()

    def on_cell_executed(cell, **_):
        if progress and cell.cell_type == "code":
            done[0] += 1
            if live or done[0] == code_cells:
                print(f"\r  running report cells: {done[0]}/{code_cells}", end="",
                      file=stderr, flush=True)

    try:
        if kernel:
            _execute_in_kernel(nb, cwd=cwd, timeout=timeout, on_cell=on_cell_executed)
        else:
            _execute_in_process(nb, cwd=cwd, on_cell=on_cell_executed)
    finally:
        if progress:
            print(file=stderr)
    return nb


class _Node(dict):
    """A notebook part read from JSON: a dict whose keys read as attributes, as in nbformat."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value) -> None:
        self[name] = value


def _read_notebook(path: Path) -> _Node:
    """Read a notebook of format 4 as :class:`_Node` objects (others through nbformat).

    nbformat itself is not needed to run a notebook in this process, and importing it
    (with jsonschema, for validation) takes 0.7-1.2 s on a 2-core machine.
    """
    import json

    try:
        with path.open(encoding="utf-8") as fh:
            nb = json.load(fh, object_hook=_Node)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path.name} is not a readable notebook: {exc}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) \
            or nb.get("nbformat") != 4:
        nbformat = _import_nbformat()
        nb = json.loads(nbformat.writes(nbformat.read(path, as_version=4)),
                        object_hook=_Node)
    for cell in nb.cells:  # the file format allows a list of lines
        if not isinstance(cell.get("source", ""), str):
            cell["source"] = "".join(cell["source"])
    return nb


def _inside_ipython() -> bool:
    """Whether an IPython shell (a notebook's kernel, a terminal) is running in this process."""
    ipython = sys.modules.get("IPython")
    return bool(ipython is not None and ipython.get_ipython() is not None)


def _execute_in_kernel(nb, *, cwd: Path, timeout: int, on_cell) -> None:
    from nbclient.exceptions import CellExecutionError

    client = _client(nb, cwd=cwd, timeout=timeout)
    client.on_cell_executed = lambda cell, cell_index, execute_reply, **_: on_cell(cell)
    try:
        _run(client)
    except CellExecutionError as exc:
        lines = [ln for ln in ANSI_ESCAPES.sub("", str(exc)).splitlines() if ln.strip()]
        raise ReportError(f"a report cell failed: {lines[-1] if lines else exc}") from None
    except (RuntimeError, TimeoutError) as exc:
        raise ReportError(f"the notebook kernel did not run: {exc}") from None


def _execute_in_process(nb, *, cwd: Path, on_cell) -> None:
    """Run the code cells of ``nb`` in this process and store their outputs in ``nb``.

    An IPython shell of its own runs each cell as a kernel would (magics, the value of the
    last line displayed, inline matplotlib figures); what the cells print and display is
    kept as nbformat outputs (``stream``, ``display_data``, ``execute_result``), so the page
    is rendered from the same notebook either way. Everything the shell changes in the
    process (``__main__``, display and exception hooks, matplotlib settings, open figures)
    is restored afterwards.
    """
    import contextlib

    import matplotlib as mpl
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    outputs: list = []

    def new_output(output_type: str, **fields) -> _Node:  # as nbformat.v4.new_output
        return _Node(output_type=output_type, **fields)

    class Hook(DisplayHook):  # the value of a cell's last line: execute_result
        def write_output_prompt(self) -> None:
            pass

        def write_format_data(self, format_dict, md_dict=None) -> None:
            outputs.append(new_output("execute_result", data=format_dict,
                                      metadata=md_dict or {},
                                      execution_count=self.shell.execution_count))

        def finish_displayhook(self) -> None:
            pass

    class Publisher(DisplayPublisher):  # display(...): display_data
        def publish(self, data, metadata=None, source=None, *, transient=None,
                    update=False, **kwargs) -> None:
            outputs.append(new_output("display_data", data=data, metadata=metadata or {}))

        def clear_output(self, wait=False) -> None:
            outputs.clear()

    class Stream(io.TextIOBase):  # print and warnings: stream outputs, one per run
        def __init__(self, name: str) -> None:
            self.name_ = name

        def writable(self) -> bool:
            return True

        def write(self, text: str) -> int:
            if text:
                last = outputs[-1] if outputs else None
                if last is not None and last.output_type == "stream" \
                        and last.name == self.name_:
                    last.text += text
                else:
                    outputs.append(new_output("stream", name=self.name_, text=text))
            return len(text)

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None) -> None:  # inline figures only: no event loop
            pass

    config = Config()
    config.HistoryManager.enabled = False  # no history database
    config.InteractiveShell.colors = "nocolor"
    saved = (sys.modules.get("__main__"), sys.displayhook, sys.excepthook,
             dict(mpl.rcParams.copy()), mpl.get_backend(), Path.cwd())
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        shell = Shell.instance(config=config, displayhook_class=Hook,
                               display_pub_class=Publisher)
    out, err = Stream("stdout"), Stream("stderr")

    def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
        err.write(warnings.formatwarning(message, category, filename, lineno, line))

    isolated = warnings.catch_warnings()  # a kernel's warning filters, not the caller's
    isolated.__enter__()
    warnings.resetwarnings()
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                     ResourceWarning):
        warnings.simplefilter("ignore", category)
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
    warnings.showwarning = show_warning
    try:
        os.chdir(cwd)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            outputs = []
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                result = shell.run_cell(cell.source, store_history=True)
            cell.outputs = outputs
            cell.execution_count = shell.execution_count - 1
            error = result.error_before_exec or result.error_in_exec
            if error is not None:
                # numbered as in the notebook file (the injected cell is not in it)
                number = sum(1 for c in nb.cells[:index + 1]
                             if c.get("id") != "injected-parameters")
                raise ReportError(f"a report cell failed (cell {number} of the notebook): "
                                  f"{type(error).__name__}: {error}")
            on_cell(cell)
    finally:
        import atexit

        isolated.__exit__(None, None, None)
        atexit.unregister(shell.atexit_operations)
        Shell.clear_instance()
        main, sys.displayhook, sys.excepthook, rc, backend, old_cwd = saved
        if main is not None:
            sys.modules["__main__"] = main
        os.chdir(old_cwd)
        import matplotlib.pyplot as plt

        plt.close("all")
        rc.pop("backend", None)
        mpl.rcParams.update(rc)
        if mpl.get_backend() != backend:
            plt.switch_backend(backend)


def _client(nb, *, cwd: Path, timeout: int):
    """Return a notebook client whose kernel is this interpreter (not a user-wide kernel)."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    # With no kernel folders, the spec manager falls back to ipykernel's own "python3" spec,
    # which runs sys.executable: a kernel registered in ~/.local/share/jupyter cannot win.
    km = KernelManager(kernel_name=_KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))
    return NotebookClient(nb, km=km, timeout=timeout, kernel_name=_KERNEL,
                          record_timing=False, resources={"metadata": {"path": str(cwd)}})


def _run(client) -> None:
    # The kernel talks over loopback only. Its own stderr (start-up notices) is not shown;
    # errors in cells arrive as messages and are reported as ReportError.
    client.execute(stderr=subprocess.DEVNULL)


def refresh_notebook(path: str | os.PathLike[str], *, timeout: int = 600) -> Path:
    """Re-execute a notebook in its own folder and save it with its outputs (``make notebooks``).

    Execution counts are kept and timing metadata is not recorded, so an unchanged notebook
    re-saves to the same bytes.
    """
    nbformat = _import_nbformat()
    from nbclient.exceptions import CellExecutionError

    from .io import atomic_path

    p = Path(path)
    nb = nbformat.read(p, as_version=4)
    client = _client(nb, cwd=p.parent.resolve(), timeout=timeout)
    # the explorer's widget state is not kept: nbval and HTML exports use its static view,
    # and the state (random model ids) would change the file on every run
    client.store_widget_state = False
    try:
        _run(client)
    except CellExecutionError as exc:
        lines = [ln for ln in str(exc).splitlines() if ln.strip()]
        raise ReportError(f"{p.name}: a cell failed: {lines[-1] if lines else exc}") from None
    _stable_widget_ids(nb)
    with atomic_path(p) as tmp:
        nbformat.write(nb, tmp)
    return p


def _stable_widget_ids(nb) -> None:
    """Name each widget view after its cell and output, so that re-saving changes no byte.

    Without saved widget state a view's random model id refers to nothing; a notebook
    re-opened in JupyterLab shows the static view beside it until the cell is run again.
    """
    for cell in nb.cells:
        for j, output in enumerate(cell.get("outputs", [])):
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view is not None:
                seed = f"{cell.get('id', '')}-{j}".encode()
                view["model_id"] = hashlib.sha256(seed).hexdigest()[:32]


def render_report(
    input_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    notebook: str | os.PathLike[str] | None = None,
    show_code: bool = False,
    progress: bool = False,
    limits: Limits | None = None,
    dayfirst: bool = True,
    timestamp: bool = True,
    allow_identifying: bool = False,
    read_options: dict[str, object] | None = None,
    title: str | None = None,
    formats: str | Sequence[str] | None = None,
) -> Path:
    """Render the HTML report of a study.

    Parameters
    ----------
    input_path : str or path-like
        Any input :func:`~analysis.read_study` accepts.
    out_dir : str or path-like
        Output folder: ``report.html``, ``figures/``, ``tables/``. Replaced as a whole on
        success; untouched on failure.
    notebook : path-like, optional
        The notebook to run (default: the package's report notebook, see
        :func:`find_notebook`).
    show_code : bool, default False
        Include the code cells in the HTML.
    progress : bool, default False
        Print a cell counter on standard error.
    limits : Limits, optional
        Input size limits.
    dayfirst : bool, default True
        How ambiguous text dates are read.
    timestamp : bool, default True
        Add a "rendered at" line to the footer (the only part that differs between runs).
    read_options : dict, optional
        Further keyword arguments of :func:`~analysis.read_study` (e.g. ``groups`` for a
        Taguette export), passed on to the report notebook.
    title : str, optional
        The study's name in the page title and at the top of the report (default: a
        ``title`` entry of ``read_options``, else the input file's name).
    formats : str or sequence of str, optional
        Figure formats written to ``figures/``: any of ``svg``, ``pdf``, ``png``
        (``"svg,pdf,png"``; see :func:`analysis.publish.figure_formats`). By default SVG,
        which the page embeds, and PDF for print. PDF and PNG copies are drawn in forked
        processes while the report goes on, where the platform allows.
    allow_identifying : bool, default False
        Render even when :func:`~analysis.privacy.find_identifying` finds what may be real
        names, e-mail addresses or phone numbers (``--allow-identifying``). By default such
        a study is refused, before anything is written.

    Returns
    -------
    pathlib.Path
        The ``report.html`` written.

    Raises
    ------
    InputError
        The input cannot be read (as ``check`` exit 2).
    ReportError
        The data has errors (as ``check`` exit 1), it may hold identifying data (unless
        ``allow_identifying``), or a notebook cell failed.
    """
    from ._page import render_page
    from .publish import FORMATS_ENV, copies_in_background, figure_formats, resolve_figures

    try:
        formats = figure_formats(formats)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    src = Path(input_path).resolve()
    read_options = dict(read_options or {})
    # the study's name in the page title and heading: ``title=``, a ``title`` read option,
    # else the input file's name
    study_title = str(title or read_options.pop("title", None) or src.name)
    study = read_study(src, dayfirst=dayfirst, limits=limits, **read_options)  # fail early
    if study.log.all_errors:
        first = study.log.all_errors[0]
        raise ReportError(
            f"{len(study.log.all_errors)} data error(s) must be fixed first (run `python -m "
            f"analysis check {src.name}`); the first: {first}")
    if not allow_identifying and (found := find_identifying(study)):
        raise ReportError(
            f"{src.name} may hold identifying data ({len(found)} finding"
            f"{'s' if len(found) != 1 else ''}); reports must use pseudonyms only. Remove or "
            "pseudonymize it and run again, or pass --allow-identifying "
            "(allow_identifying=True) if it may be shared as it is:\n"
            + format_findings(found))
    nb_path = Path(notebook) if notebook else find_notebook()
    out = Path(out_dir).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    env = os.environ.get(FORMATS_ENV)
    os.environ[FORMATS_ENV] = ",".join(formats)  # read by Publisher, here or in a kernel
    try:
        # figures (their SVG too) and tables written by forked processes beside the cells;
        # the block ends when every file is written
        with copies_in_background(defer_svg=True):
            nb = execute_notebook(
                nb_path,
                {"input_path": str(src), "output_dir": str(tmp), "dayfirst": dayfirst,
                 "read_options": {k: str(v) if isinstance(v, os.PathLike) else v
                                  for k, v in read_options.items()},
                 "title": study_title},
                # in the caller's folder: relative paths in read_options mean what they
                # meant to read_study above (the notebook itself may be installed anywhere)
                cwd=Path.cwd(), progress=progress,
            )
        stamp = (f"<br>Rendered {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}"
                 if timestamp else "")
        footer = (
            '<footer class="report-footer">'
            f"Input: {html.escape(src.name)} (SHA-256 {_sha256(src)})<br>"
            f"analysis {html.escape(__version__)}; Python "
            f"{sys.version_info.major}.{sys.version_info.minor}{stamp}</footer>"
        )
        page_title = f"{study_title}: session-notes analysis report"
        page = render_page(nb, title=page_title, footer=footer, show_code=show_code)
        # written into the temporary folder, which replaces the output folder as a whole
        (tmp / "report.html").write_text(resolve_figures(page), encoding="utf-8")
        _replace_dir(tmp, out)
    except RuntimeError as exc:  # a figure copy or the table files failed
        shutil.rmtree(tmp, ignore_errors=True)
        raise ReportError(f"a file of the report could not be written: {exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if env is None:
            os.environ.pop(FORMATS_ENV, None)
        else:
            os.environ[FORMATS_ENV] = env
    return out / "report.html"


def _replace_dir(new: Path, target: Path) -> None:
    """Move ``new`` onto ``target``, removing an old ``target`` only once ``new`` is in place."""
    os.chmod(new, 0o755)
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


if __name__ == "__main__":  # ``python -m analysis.report FOLDER...``: what `make notebooks` runs
    for folder in map(Path, sys.argv[1:] or ["notebooks"]):
        for nb_file in sorted(folder.glob("*.ipynb")):
            print(f"executing {nb_file}", file=sys.stderr)
            refresh_notebook(nb_file)
