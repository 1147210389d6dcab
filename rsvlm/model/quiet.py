"""Context managers that keep libraries' notes out of rsvlm's output where rsvlm says the same itself or
the note is not the user's to act on: one named logger at ERROR, bitsandbytes' kernel note, DeepSpeed's
"Setting accelerator to CPU", transformers' progress bars for quick loads, peft's FutureWarning, and
transformers' load report held back where rsvlm's own error or warning says what went wrong
(``load_report_held``)."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings


@contextlib.contextmanager
def logger_quiet(name: str):
    """The logger ``name`` at ERROR while the block runs (where rsvlm says the same thing itself)."""
    import logging

    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        logger.setLevel(level)


def bitsandbytes_quietly():
    """bitsandbytes, on its first import (peft imports it, and so does a 4/8-bit load), logs on
    CPUs with AVX512-BF16 that it cannot fetch an optional kernel from the hub ("pip install
    kernels"); its built-in kernel runs and rsvlm never downloads. A context manager that holds
    that one logger at ERROR while its block runs."""
    return logger_quiet("bitsandbytes.backends.cpu.ops")


@contextlib.contextmanager
def deepspeed_cpu_note_quietly():
    """transformers' ``save_pretrained`` asks accelerate to unwrap the model, which imports DeepSpeed
    where it is installed; on a machine without a GPU that import logs "Setting accelerator to CPU"
    to stdout, in the middle of a plain training run's output. A context manager that drops that
    one message from DeepSpeed's logger while its block runs (a filter survives DeepSpeed setting
    the logger up on import)."""
    import logging

    def other(record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Setting accelerator to CPU")

    logger = logging.getLogger("DeepSpeed")
    logger.addFilter(other)
    try:
        yield
    finally:
        logger.removeFilter(other)


@contextlib.contextmanager
def bars_after(delay_s: float):
    """transformers' progress bars ("Loading weights", "Writing model shards") drawn only once they have run
    ``delay_s`` seconds: a small model loads without one, a 7B one still shows its progress; and only
    on a terminal unless the caller set ``disable``: ``2> log.txt`` got the bar's every ``\r`` redraw.
    The hook decides "terminal" itself from the bar's stream (``isatty()`` true), not tqdm's
    ``disable=None``, which draws on a stream with no ``isatty`` at all (a save past ``delay_s`` wrote its
    ``\r`` lines there). tqdm's ``TQDM_DISABLE`` environment variable still turns it off (a
    ``disable`` given to tqdm comes before it), and so does a closed stderr (``2>&-``: tqdm raised
    AttributeError at its first draw). ``delay_s`` 0: the bar exactly as transformers draws it (no
    hook). Through transformers' public ``set_tqdm_hook``; the hook before is chained and restored.
    A terminal that is logged (``script``, a pty-backed CI) cannot be told from one a person reads."""
    from transformers.utils import logging as hf_logging

    from rsvlm.progress import is_terminal, is_widget

    if delay_s <= 0:
        yield
        return

    def hook(factory, args, kwargs):
        # TQDM_DISABLE (any value, as tqdm reads it): was drawn anyway; stderr closed (2>&-): AttributeError mid-load;
        # no terminal (a pipe, a file, a writer without isatty): None left tqdm to draw on the last
        stream = sys.stderr if kwargs.get("file") is None else kwargs["file"]  # where tqdm writes it
        # a notebook's widget (tqdm.auto under Jupyter, whose stderr says no terminal): None as before, drawn
        off = True if os.environ.get("TQDM_DISABLE") or not (is_terminal(stream) or is_widget(factory)) else None
        kwargs = {"disable": off, **kwargs, "delay": max(delay_s, kwargs.get("delay") or 0)}
        return previous(factory, args, kwargs) if previous else factory(*args, **kwargs)

    previous = hf_logging.set_tqdm_hook(hook)
    try:
        yield
    finally:
        hf_logging.set_tqdm_hook(previous)


@contextlib.contextmanager
def peft_quietly():
    """peft asks a model ``is_gradient_checkpointing``, which transformers 5 answers with a
    FutureWarning on every LoRA wrap and adapter load; that one warning is not the user's to act on, nor
    its "ensure_weight_tying is not set" for a LoRA on a tied head (the merge unties it and says so).
    Import peft inside it too: peft imports bitsandbytes (``bitsandbytes_quietly``)."""
    with warnings.catch_warnings(), bitsandbytes_quietly():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        # a LoRA on a tied head: rsvlm's merge unties it itself and says so (llm.untie_adapted_embeddings)
        warnings.filterwarnings("ignore", message=".*`ensure_weight_tying` is not set.*", category=UserWarning)
        yield


class HeldRecords(list):
    """Log records held back by ``load_report_held``; ``release`` logs them as they would have been."""

    def release(self) -> None:
        import logging

        for record in self:
            logging.getLogger(record.name).handle(record)
        self.clear()


@contextlib.contextmanager
def load_report_held():
    """transformers' ``from_pretrained`` logs a LOAD REPORT table (each tensor missing, unexpected or of another
    shape) as a warning; where rsvlm then refuses the load with its own one-line error, that table came first.
    While the block runs the report is held (yielded, a ``HeldRecords``): the caller ``release``s it where it
    does not refuse the load (or ``clear``s it where its own warning says the same rows: build_llm's unexpected
    tensors), and an exception out of the block (transformers' own, which the report explains) releases it
    before going on."""
    import logging

    held = HeldRecords()

    def hold(record: logging.LogRecord) -> bool:
        if "LOAD REPORT" in str(record.msg):
            held.append(record)
            return False
        return True

    logger = logging.getLogger("transformers.modeling_utils")
    logger.addFilter(hold)
    try:
        yield held
    except BaseException:
        logger.removeFilter(hold)
        held.release()
        raise
    finally:
        logger.removeFilter(hold)
