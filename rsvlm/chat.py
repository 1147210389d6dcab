"""``rsvlm chat``: a terminal REPL over one image or a bi-temporal pair, with a KV-cached history.

Commands (``rsvlm.chat_commands``): ``/image PATH [modality] [bands]`` (twice before the first question for a pair; after a
question it starts a new conversation on the new image), ``/reset``, ``/vis out.png [R,G,B]``,
``/geojson out.geojson``, ``/help``, ``/quit``. Task tags (``[det]`` …) open a question.
Ctrl-C stops the answer being generated, not the session; Ctrl-D quits.

With ``tta`` (``--tta flip|dihedral|crops|dihedral+crops``), an answer that is shapes only or short text is asked again
on the mirror views (greedy, each view's whole conversation prefilled anew, not cached) and fused
(``rsvlm.tta``); the fused answer is printed after the streamed one and is what ``/vis`` and
``/geojson`` write. The conversation's history keeps the streamed answer: the KV cache holds it.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time

from rsvlm import inference as inf
from rsvlm import tables
from rsvlm.advice import for_cli, pixel_box_hint
from rsvlm.answer_shown import first_control, shown
from rsvlm.answering import context_cap, is_fused, worded_note
from rsvlm.chat_commands import Commands
from rsvlm.chat_loop import cr_lines, talk  # noqa: F401  (cr_lines: rsvlm.chat's name kept)
from rsvlm.closed_pipes import stdout_to_null
from rsvlm.io.nodata_objects import count_on_nodata, nodata_note
from rsvlm.output_options import above_min_score, rgb_bands_problem, unscored_note
from rsvlm.predict_question import change_region_note, count_hint, count_note, count_question
from rsvlm.tokens import opening_task, task_tag, undecoded


class ChatREPL:
    """The REPL's state: loaded images, the cached session, and the last located answer; its slash
    commands are a ``chat_commands.Commands`` of it (``commands``)."""

    encoding: str | None = None  # the questions' source's (talk: stdin's), named where a byte did not decode
    answered = 0  # questions answered: said where Ctrl-C ends the chat

    def __init__(self, model, processor, out=None, max_new_tokens: int = 256, temperature: float = 0.0,
                 constrain: bool = True, tta=None, min_objects: int = 0, by_class: bool = False,
                 history: int | str | None = None, min_score: float = 0.0, rgb_bands: list[str] | None = None):
        from rsvlm.model import ChatSession

        self.out = out if out is not None else sys.stdout  # looked up now: a redirected stdout is followed
        self.tta, self.by_class = tta, by_class  # tta: an rsvlm.tta.FuseConfig, or None
        self.min_score, self.rgb_bands = min_score, rgb_bands  # --min-score, --rgb-bands: the table, /vis, /geojson
        self.session = ChatSession(model, processor, max_new_tokens=max_new_tokens,
                                   do_sample=temperature > 0, temperature=temperature or 1.0, constrain=constrain,
                                   min_objects=min_objects, history=history, stop_at_context=True)
        self.images: list = []  # RSImages of the current conversation
        self.unsent: list = []  # images loaded but not yet given to the model
        self.kept = False  # whether the images are those /reset kept: an /image replaces them (was a pair with them)
        self.last: dict | None = None
        self.history_said = False  # whether the note on --history's rule was said (once a chat)
        self.change_region_said = False  # whether change_region_note was said (once a chat)
        self.failed = False  # whether the line being handled failed (fail): a piped chat counts them, its status 1
        self.commands = Commands(self)

    def load_image(self, args: list[str]) -> bool:
        """``/image``'s work (``Commands.load_image``): ``[PATH, modality?, bands?]``; False when nothing loaded."""
        return self.commands.load_image(args)

    def add_image(self, img) -> str | None:
        """A read RSImage added to the conversation (``Commands.add_image``); why it cannot be, else None."""
        return self.commands.add_image(img)

    def say(self, text: str = "") -> None:
        """``text`` printed, its control characters escaped (``shown``: a byte answer's ESC, BEL)."""
        print(shown(text), file=self.out, flush=True)

    def fail(self, text: str) -> None:
        """``text`` said (an ``error:``, a usage line) where the line being handled did nothing it asked."""
        self.failed = True
        self.say(text)

    # -- questions ----------------------------------------------------------------------------
    def ask(self, question: str) -> str | None:
        import torch  # loaded with the model already

        if not self.images:
            self.fail("load an image first: /image PATH")
            return None
        try:  # "[DET] …" was asked as the characters "[DET]", not the tag, and answered as free chat
            question = inf.tagged(question, self.encoding)
        except ValueError as e:
            self.fail(f"error: {e}")
            return None
        task = opening_task(question)
        alone = task and question.strip() == task_tag(task)  # a tag alone: [count] was answered with a box
        # <box>10,10,50,50</box>, <loc_1200>, [regcap] naming no box: answered about nothing; the checks are the
        # Python session's (ChatSession.ask), a tag alone checked as the task's standard question it asks (below)
        if why := inf.question_problem(inf.DEFAULT_PROMPTS[task] if alone else question):
            self.fail(f"error: {why}{pixel_box_hint(question, self.images[-1])}")
            return None
        if task == "change" and len(self.images) != 2:  # as predict: "None." about nothing
            label = inf.image_label(self.images[0])  # after a question, /image starts anew on the new image alone
            self.fail(f"[change] compares two images: /image BEFORE then /image AFTER start a conversation on a pair "
                      f"(this one asked about {label} alone)" if self.session.asked else
                      f"[change] compares two images: load the after image with /image ({label} is the before one)")
            return None
        classes = self.session.processor.prompt.det_classes if task == "count" else []  # a count's class alone
        if alone:  # [vqa] was answered with a class; [count] is asked of one of the model's (a ship: not every model's)
            question = count_question(classes) if task == "count" else inf.DEFAULT_PROMPTS[task]
            self.say(f"  note: a tag alone asks the task's standard question: {question}"  # one note, quoting it once
                     + (f"\n        ([count] asks how many of one class, as the model learnt it: {count_hint(question, classes)})"
                        if task == "count" else ""))
        elif note := count_note(question, classes, False):  # "[count] How many objects are there?": a guess
            self.say(f"  {note}")
        if not self.change_region_said and (note := change_region_note(question)):  # once a chat
            self.change_region_said = True
            self.say(f"  {note}")
        if len(self.images) == 2 and task not in (None, "change"):
            where = ("" if task in ("cls", "vqa", "cap", "count") else  # a word answer has no pixels to read in
                     f"; shapes are read in {inf.image_label(self.images[1])}'s pixels")
            self.say(f"  note: [{task}] about the pair: the model saw pairs for [change] only{where}")  # as predict warns
        first = not self.session.asked  # messages holds the model's system message from the start
        keep = self.session.history  # --history's rule, said before the first answer it shapes (was after it)
        said_rule = keep is not None and not self.history_said and self.session.asked > keep
        if said_rule:
            self.history_said = True
            self.say(f"  note: {self.history_note(keep)}")
        pieces = []

        def stream(piece: str) -> None:
            pieces.append(piece)
            self.out.write(shown(piece))
            self.out.flush()

        try:
            # the session writes the images' placeholders before the question (as inference.user_text does), so
            # what it says of the question (its tokens, when too long) is of the question alone
            answer = self.session.ask(question, images=[inf.model_input(i) for i in self.unsent] if first else None,
                                      on_token=stream)
        except KeyboardInterrupt:
            self.session.rollback()
            self.fail("\n(stopped)")
            return None
        except torch.OutOfMemoryError as e:  # a long chat's cache on a small GPU: the traceback ended the chat
            self.session.rollback()
            self.fail(("\n" if pieces else "") + f"error: {self.out_of_memory(e)}; the conversation is as it was "
                      "before the question: a shorter question or /reset (a shorter cache), or a chat with a lower "
                      "--max-new-tokens or --load-4bit, needs less")
            return None
        except ValueError as e:  # past the LLM's context even without the earlier exchanges (ContextError)
            self.session.rollback()
            # refused before a word: the error follows the prompt as any other does (a line left empty looked
            # like an empty question); after streamed words, on a line of its own
            reset = " (/reset)" if getattr(e, "resettable", False) else ""
            self.history_said &= not said_rule  # said of a question not asked: said again before the first answered
            self.fail(("\n" if pieces else "") + f"error: {e}{reset}")
            return None
        self.say()
        dropped = [s["dropped_turns"] for s in self.session.stats]
        # --history's rule (a number) said once a chat, above; the context's (all: None) once a conversation, each
        # filling its context anew (which exchange that first happens at, only the session's ask can tell)
        if dropped[-1] and sum(dropped) == dropped[-1] and (keep is None or not self.history_said):
            self.history_said = keep is not None
            self.say(f"  note: {self.history_note(keep)}")
        cut = self.session.stats[-1]["cut"]
        if self.session.stats[-1]["at_context"]:  # was a Python warning, mid-line, naming torch's file
            self.say(f"  note: {self.context_note()}")
        elif cut:  # under the grammar a cut answer reads as a whole one; known cut where decoding stopped short of
            # the limit unfinished (the grammar hid what the model wanted next), else it may be
            limit = self.session.gen["max_new_tokens"]
            known = self.session.stats[-1].get("new_tokens", limit) < limit
            self.say(f"  note: {inf.cut_note(limit, known=known, text=answer)}")
        self.unsent = []
        self.answered += 1
        scores = self.session.last_scores
        asked = self.session.messages[:-1]  # the conversation up to this question
        try:  # the answers asked after the streamed one (per class, mirror views) can take a while
            past = voted = False  # the streamed answer stops at the end of the context (said above), never past it
            if self.by_class and inf.class_questions(asked, self.session.processor.prompt):
                if (joined := self.class_by_class(asked, answer)) is not None:
                    (answer, scores), cut, past = joined, joined.cut, joined.past_context
            if self.tta is not None:
                got = self.fused(answer, scores, cut, past)
                (answer, scores), voted = got, is_fused(got)  # a plain answer kept is no vote
        except KeyboardInterrupt:
            self.say("\n(stopped: the answer streamed above stands)")
        except torch.OutOfMemoryError as e:
            self.say(f"\n  note: {self.out_of_memory(e)} asking again (by class or view): the answer streamed "
                     "above stands")
        self.last = {"question": question, **inf.locate(answer, self.images[-1], scores)}
        kept, dropped = above_min_score(self.last["objects"], self.min_score)  # a view's lone guess at 0.01 was shown
        img = self.images[-1]  # objects on a collar: its load note promised they are said, as predict says them, and
        if on_nodata := count_on_nodata(kept, img.valid, inf.read_scale(img)):  # before --min-score's, in its order
            self.say(f"  {nodata_note(on_nodata)}")
        if dropped and self.last["objects"]:  # a word answer's "nothing to drop" after every question: noise
            self.say(f"  note: {dropped}")
        self.last.update(objects=kept, dropped=len(self.last["objects"]) - len(kept))  # /vis says why none are left
        if unscored := unscored_note(kept, voted):  # the table has no score column then: why
            self.say(f"  note: {unscored}")
        # hundreds of objects flooded the terminal; /geojson writes them all, where it can (no map coordinates: refused)
        rest = "/geojson writes them all" if self.images[-1].georeferenced else "/vis draws them all"
        table = tables.objects_table(self.last["objects"], most=tables.TABLE_ROWS, rest=rest)
        if table:
            self.say(table)
        for line in tables.problem_lines(self.last["problems"]):  # a long free-decoded answer's hundreds, cut too
            self.say("  " + line)
        return answer

    def history_note(self, keep: int | None) -> str:
        """What the model is shown of the earlier exchanges, by ``--history`` (``keep``; None: what the LLM's context
        holds), worded for the images asked about: one image, or a [change] pair (was "the image" for a pair too)."""
        what = "the image pair" if len(self.images) == 2 else "the image"
        if keep == 0:
            return f"each question is asked afresh about {what}, as this model answers best; --history N shows it N " \
                   "earlier exchanges"
        if keep:
            after = f" and the last {'one' if keep == 2 else keep - 1} after it" if keep > 1 else " alone"
            return (f"the model is shown the exchange that brought {what}{after} with each question from here on; "
                    "--history changes it")
        return "the oldest exchanges are left out from here on, to fit the LLM's context"

    def out_of_memory(self, e: Exception) -> str:
        """What to say of an out-of-memory error (``e``, its first line), the memory it held given back."""
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()  # the failed step's blocks: the next question has them again
        return f"out of memory ({str(e).splitlines()[0][:200] if str(e) else type(e).__name__})"

    def context_note(self) -> str:
        """What to say of an answer the end of the LLM's context stopped, and what gives it room."""
        from rsvlm.model.llm import context_length

        earlier = sum(m["role"] == "assistant" for m in self.session.messages[:-1])  # the exchanges it was shown
        return (f"the answer stopped at the end of the LLM's context ({context_length(self.session.model.llm)} "
                f"tokens); a shorter question leaves it more room{', and so does /reset' if earlier else ''}")

    def answerer(self, min_objects: int | None = None):
        """The session's answerer; ``min_objects`` in place of its own (``0``: the TTA views, which
        ``tta.fused_answers`` asks without the push)."""
        s = self.session
        push = s.min_objects if min_objects is None else min_objects
        return inf.answerer(s.model, s.processor, s.gen["max_new_tokens"], s.constrain, push, self.by_class)

    def shown(self, ask, doing: str, most=1):
        """``ask`` (an ``answerer``) that, on a terminal, shows ``doing`` (and its count of at most
        ``most``: a number, or a function giving it, called on a terminal as the first batch is asked)
        on a line of its own while each batch is answered: a large model takes a while over a view or a
        class question, after the streamed answer."""
        if not getattr(self.out, "isatty", lambda: False)():
            return ask
        done, counted = [], []  # counted when a batch is asked: an answer not fused (a long one) asks none

        def asking(messages, images):
            done.append(1)
            if not counted:
                counted.append(most() if callable(most) else most)
            self.out.write(f"  ({doing}{f' {len(done)} of {counted[0]}' if counted[0] > 1 else ''}…)")
            self.out.flush()
            try:
                return ask(messages, images)
            finally:
                self.out.write("\r\033[K")  # the line goes: what stays is said after
                self.out.flush()

        return asking

    def class_by_class(self, asked: list[dict], answer: str) -> inf.Answer | None:
        """The last question asked once per class of the model (``inference.class_questions``),
        the joined answer said when it differs from the streamed one (and when the token limit
        stopped one of its class answers, or one ran past the LLM's context); None, said, where the
        LLM's context cannot take a class question (a long class name): the streamed answer stands."""
        ask = self.shown(self.answerer(), "asking class by class")
        (joined,), refused = inf.answers_or_refusals(ask, [asked], [[inf.model_input(i) for i in self.images]])
        if joined is None:  # was a traceback; then vlm's "; use a shorter text", where the question typed fit
            self.say(f"  note: the class questions could not be asked ({refused[0].rsplit('; ', 1)[0]}); the answer "
                     "streamed above stands; a question naming its class ([det] Detect all ships.) is asked as typed")
            return None
        if joined.text != answer:
            self.say(f"asked class by class: {joined.text}")
        if joined.cut:
            limit = self.session.gen["max_new_tokens"]
            self.say(f"  note: {inf.cut_note(limit, 'a class answer', known=joined.cut_known, text=joined.text)}")
        if worded := worded_note(joined):
            self.say(f"  note: {worded}")
        if joined.past_context:  # generate flags it and warns no more: said nowhere else
            self.say_past_context("a class answer")
        return joined

    def say_past_context(self, what: str) -> None:
        """A note that ``what`` (an answer asked after the streamed one) ran past the LLM's context."""
        ctx = inf.context_of(self.session.model)
        self.say(f"  note: {what} ran past the LLM's context{f' of {ctx} tokens' if ctx else ''}: its end "
                 "is unreliable; a shorter question or a lower --max-new-tokens keeps it inside")

    def fused(self, answer: str, scores: list[float], cut: bool = False, past_context: bool = False) -> inf.Answer:
        """The last answer (``cut`` where the token limit stopped it, ``past_context`` where it ran past
        the LLM's context: both said already) fused over ``self.tta``'s views, said when it differs from
        the streamed one; a view refused, cut short, past the context or left out of the fusion
        (``Fused.note``) is said too."""
        from rsvlm.tta import fused_answers, no_view_note
        from rsvlm.tta_text import note_parts

        asked = self.session.messages[:-1]  # the conversation up to this question
        refused: dict[int, str] = {}
        plain = inf.Answer(answer, scores, cut=cut, past_context=past_context)
        inputs = [[inf.model_input(i) for i in self.images]]
        counted: list[tuple] = []  # the views fused_answers will ask (crops are not, for most questions)
        ask = self.shown(self.answerer(0) if self.session.min_objects else self.answerer(), "asking view",
                         lambda: len(counted[0]))
        f = fused_answers(ask, [asked], inputs, [plain], self.tta, refused, on_views=counted.append)[0]
        for note in refused.values():
            self.say(f"  note: {note}")
        if counted and not counted[0]:  # --tta did nothing, and said no word of why
            self.say(f"  note: {no_view_note(asked, inputs[0], plain, self.tta)}")
        if f is None:  # no view asked (said above), or one refused: a kept [det] "None." is a Fused, its notes below
            return plain
        # view answers left out of the fusion, the plain answer's shapes voted out ("None."), views not asked: why
        for note in filter(None, (f.note, f.voted_out, f.unasked)):  # a note of parts: a line each (note_parts)
            for part in note_parts(note):
                self.say(f"  note: {part}")
        if f.answer != answer:
            views = f.answers or len(self.tta.views)  # the views asked: crops are not, for most questions
            said = f"{f.answer} (no shape found in enough views)".strip() if f.objects == [] and not f.voted_out \
                else f.answer
            self.say(f"fused over {views} views: {said}")
        if f.cut and not cut:  # the streamed answer's was said already
            self.say(f"  note: {inf.cut_note(self.session.gen['max_new_tokens'], 'a view answer', known=f.cut_known)}")
        if f.past_context and not past_context:  # generate flags it and warns no more: said nowhere else
            self.say_past_context("a view answer")
        return f.as_answer()  # as predict and eval take it, fused (its polygons and masks pixel votes: unscored_note)

    def handle(self, line: str) -> bool:
        """One input line; False when the session should end."""
        typed, line = line, line.strip().lstrip("\ufeff").strip()  # a questions file saved "UTF-8 with BOM": its first
        # line's /image was asked as a question, a [cls] tag read as plain text
        if not line:
            return True
        if control := first_control(line):  # "\x1b[A[vqa] …" (an arrow key saved in a questions file) was asked of the
            # model, its tag unread; where it is counted as typed (a CRLF's CR, stripped, is none)
            at = control[0] + typed.lstrip("\ufeff").find(line) + 1
            self.fail(f"error: the line holds a control character ({control[1]}, character {at}): "
                      "neither asked nor run; type it again without it")
            return True
        if line.startswith("/"):
            return self.commands.command(line)
        # was asked of the model as a question: Python's, vim's and psql's ways out
        if line.lower() in ("quit", "exit", "quit()", "exit()", ":q", ":q!", ":wq", ":x", "\\q", "q"):
            self.say(f"(/quit or Ctrl-D leaves; {line!r} alone is not asked)")
            return True
        typed = typed.lstrip("\ufeff")  # a byte not of stdin's encoding: its offset counted as typed, as a control
        if bad := re.search("[\udc80-\udcff]", typed):  # character's is (ask's, in the line stripped, was short)
            self.fail(f"error: {undecoded(typed, bad.start(), self.encoding)}")
            return True
        self.ask(line)
        return True


def main(args) -> int:
    """``rsvlm chat``: a reader that closes its output ends it, status 1, wherever it happens (``… 2>&1 | head -1``
    while the model loads was status 0 by cli's fallback; the lines piped in go unasked either way). With standard
    error closed (``2>&-``), what it would say there is dropped, not put among the answers (``cli.main`` runs it
    within ``closed_pipes.closed_stderr_to_null``)."""
    try:
        return _main(args)
    except BrokenPipeError:  # … | head -2: was status 0, as if every question had been answered
        return _reader_gone()


def _main(args) -> int:
    if sys.stdin is None:  # "rsvlm chat <&-": a traceback after the model loaded, for nothing to read
        print("rsvlm chat: standard input is closed: the chat reads its questions there (pipe them in, or run it in a "
              "terminal); rsvlm predict answers one question", file=sys.stderr)
        return 2
    if sys.stdout is None:  # "rsvlm chat >&-": input()'s "lost sys.stdout" traceback after the model loaded
        print("rsvlm chat: standard output is closed: the chat writes its answers there (let it go to the terminal, "
              "a pipe or a file: rsvlm chat … > answers.txt)", file=sys.stderr)
        return 2
    try:
        specs = inf.image_specs(args.image or [], args.modality, args.bands)
    except ValueError as e:
        print(f"rsvlm chat: {e}", file=sys.stderr)
        return 2
    if len(specs) > 2:  # the third dropped the pair the first two made, with a note in the scroll
        print(f"rsvlm chat: {len(specs)} --image given; a chat is about one image or a bi-temporal pair (two). "
              "Band files of one image go in one --image, comma-separated (B02.jp2,B03.jp2,…)", file=sys.stderr)
        return 2
    try:  # before the model loads (minutes for a large one), as in predict
        images = [inf.read_spec(s, max_side=inf.READ_MAX_SIDE) for s in specs]
        if images and (err := rgb_bands_problem(images[-1], args.rgb_bands, inf.image_label(images[-1]))):
            raise ValueError(err)  # /vis draws the last image; a later /image's bands are checked by /vis
        # seconds on a CPU, minutes for a large model: the terminal sat silent; stderr keeps a piped stdout clean
        print(f"rsvlm chat: loading model from {inf.resolve_model_dir(args.model)} …", file=sys.stderr, flush=True)
        start = time.perf_counter()
        model, processor = inf.load_model(args.model, args.device, args.load_4bit, args.load_8bit, args.dtype)
    except (OSError, ValueError) as e:  # a DEM's advice: --modality, not read_image's argument
        print(f"rsvlm chat: {for_cli(str(e))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # cli's bare "stopped (Ctrl-C)" said nothing of where it was
        print("\nrsvlm chat: stopped (Ctrl-C) before the chat began (reading the images, loading the model); no "
              "question was asked", file=sys.stderr)
        return 130
    print(f"rsvlm chat: model loaded in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    args.max_new_tokens, capped = context_cap(model, args.max_new_tokens, "the conversation")  # --tta's views and
    if capped:  # --det-by-class's class answers ran on far past it
        print(f"rsvlm chat: note: {capped}", file=sys.stderr)
    if args.det_by_class and (err := inf.no_det_classes(processor, args.model)):
        print(f"rsvlm chat: {err}", file=sys.stderr)
        return 2
    from rsvlm.tta import MODES, FuseConfig

    repl = ChatREPL(model, processor, max_new_tokens=args.max_new_tokens, temperature=args.temperature,
                    constrain=not args.free_decoding,
                    tta=FuseConfig(views=MODES[args.tta]) if args.tta != "none" else None,
                    min_objects=args.min_objects, by_class=args.det_by_class, history=args.history,
                    min_score=args.min_score, rgb_bands=args.rgb_bands)
    processor.missing_bands = args.missing_bands
    for img in images:  # an --image the model cannot take ends the command, as in predict
        if err := repl.add_image(img):
            print(f"rsvlm chat: {err}", file=sys.stderr)
            return 2
    return talk(repl)


def _reader_gone() -> int:
    """The chat's end where its standard output's reader went away: said on stderr (predict says its ``--out -``
    cut short so), the status 1; the lines not yet read are left unasked (their answers would go nowhere)."""
    stdout_to_null()  # no second error when Python flushes it at exit
    with contextlib.suppress(OSError):  # … 2>&1 | head: no one is left to read it
        print("rsvlm chat: standard output was closed by its reader; the chat ended there (the lines after it "
              "were not read: questions, /vis and /geojson)", file=sys.stderr, flush=True)
    return 1
