"""`check validate [ID ...]`: does each exercise grade its reference right, its template as nothing, and catch wrong programs?

For each exercise (every one, or those named):

1. **reference**: the exercise folder's ``solution.py`` when it has one, else its pack's ``solution.py``,
   graded through the exercise (a pack's exercises in one grading): full marks within ``BUDGET_S``.
   A pack may add its own checks of the result (``Pack.after_validate``): chapter 8 recomputes the
   reference's test accuracies behind the thresholds of 73 and 79 (``--record`` writes fresh ones).
2. **template**: the untouched ``template.py`` scores 0 on every item, with no checker error.
3. **mutation analysis** (``checker.grading.mutation``): mutants of the reference, restricted to the
   functions the exercise's items require, each graded as a submission (``--jobs`` at a time); the
   score is killed / non-equivalent mutants, and an exercise below its spec's ``mutation_threshold``
   fails.  Each survivor is shown as a diff against the reference; equivalent ones with their reason.

Exit status 0 when every step of every exercise passes, 1 otherwise, 2 when it cannot run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..errors import CheckerError, UsageError
from ..messages import Msg

BUDGET_S = 90.0  # grading a reference through its exercises
MUTANT_MAX_EXAMPLES = 10  # generated inputs per item when grading a mutant (unless --max-examples)


def register(sub, env) -> None:
    v = sub.add_parser("validate", help="grade the references and templates, and run mutation analysis of the checks")
    v.add_argument("ids", nargs="*", metavar="ID", help="exercises to validate (default: every one)")
    v.add_argument(
        "--max-examples",
        type=int,
        default=None,
        help=f"generated inputs per item (default: 30 for the reference, {MUTANT_MAX_EXAMPLES} for mutants)",
    )
    v.add_argument("--record", action="store_true", help="write the recomputed reference accuracies into the specs")
    v.add_argument("--no-mutants", action="store_true", help="skip the mutation analysis")
    v.add_argument(
        "--mutants-only",
        action="append",
        metavar="ID",
        default=[],
        help="only the mutation analysis of this exercise (repeatable)",
    )
    v.add_argument("--jobs", "-j", type=int, default=2, help="mutants graded at a time (default 2)")
    v.add_argument(
        "--max-mutants",
        type=int,
        default=None,
        metavar="N",
        help="grade at most N mutants per exercise, sampled by --seed (the same ones every run)",
    )
    v.add_argument("--seed", type=int, default=0, help="seed of the generated inputs and of the mutant sample")
    v.set_defaults(run=main)


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def note(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def reference_of(ex) -> Path:
    """The reference solution of an exercise: its folder's solution.py, else its pack's."""
    own = ex.directory / "solution.py" if ex.directory is not None else None
    if own is not None and own.is_file():
        return own
    if ex.pack:
        from ..spec.packs import installed

        pack = next((p for p in installed() if p.name == ex.pack), None)
        path = pack.solution_path() if pack is not None else None
        if path is not None and path.is_file():
            return path
    raise UsageError(
        f"exercise {ex.id} has no reference solution: put a solution.py next to its spec.toml ({ex.directory})"
    )


def _pack_of(ex):
    from ..spec.packs import installed

    return next((p for p in installed() if p.name == ex.pack), None) if ex.pack else None


def main(args) -> int:
    from ..spec import discover
    from .submit import check_number

    check_number("--jobs", args.jobs, 1, 64)
    check_number("--max-examples", args.max_examples, 0, 100_000)
    check_number("--max-mutants", args.max_mutants, 1, 1_000_000)
    if args.mutants_only and args.no_mutants:
        raise UsageError("--mutants-only and --no-mutants contradict each other")
    exercises = discover()
    wanted = list(dict.fromkeys(list(args.ids) + list(args.mutants_only)))
    unknown = [w for w in wanted if w not in exercises]
    if unknown:
        raise UsageError(msg=Msg("cli_unknown_exercise", {"ids": ", ".join(unknown)}))
    chosen = [exercises[w] for w in wanted] if wanted else list(exercises.values())
    refs = {ex.id: reference_of(ex) for ex in chosen}
    ok = True
    graded: dict[str, str] = {}  # exercise -> "full" | "failed" | "skipped" (the reference's grading)
    if not args.mutants_only:
        ok &= _references(chosen, refs, args, graded)
        ok &= _templates(chosen, args)
    if not args.no_mutants:
        for ex in chosen:
            ok &= _mutation(ex, refs[ex.id], args, graded.get(ex.id))
    say(f"validate: {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


# -- 1. the references ------------------------------------------------------------------------------


def _references(chosen, refs, args, graded: dict) -> bool:
    from ..api import Options, grade

    ok = True
    groups: dict[Path, list] = {}
    for ex in chosen:
        groups.setdefault(refs[ex.id], []).append(ex)
    for ref, group in groups.items():
        opts = Options(seed=args.seed)
        if args.max_examples is not None:
            opts.max_examples = args.max_examples
        t0 = time.monotonic()
        report = grade(ref, [e.id for e in group], opts)
        took = time.monotonic() - t0
        for rec in report.exercises:
            bad = [i for i in rec.items if i.status.value not in ("passed", "skipped")]
            skipped = all(i.status.value == "skipped" for i in rec.items)
            graded[rec.id] = "failed" if bad else ("skipped" if skipped else "full")
            where = ref.name if ref.parent.name == rec.id else f"{ref.parent.name}/{ref.name}"
            if bad:
                ok = False
                say(f"{rec.id}  reference  {rec.score:g}/{rec.max_score:g} ({where})  FAILED: it should get full marks")
                for i in bad:
                    say(f"      {i.name}: {i.status.value}{' (internal error)' if i.internal else ''}: {i.message}")
                    for d in i.details[:4]:
                        say(f"          {d}")
            else:
                extra = ", every item skipped on this machine" if skipped else ""
                say(f"{rec.id}  reference  {rec.score:g}/{rec.max_score:g} ({where}{extra})  OK")
        if took > BUDGET_S:
            ok = False
            say(f"validate: grading {ref} took {took:.1f} s, over the budget of {BUDGET_S:.0f} s")
        pack = _pack_of(group[0])
        if pack is not None and pack.after_validate and ref == pack.solution_path():
            mine = {e.id: e for e in group}
            for line, fatal in pack.attr(pack.after_validate)(report, mine, bool(args.record)):
                say(f"validate: {line}")
                ok = ok and not fatal
        note(f"validate: graded {ref} in {took:.1f} s")
    return ok


# -- 2. the templates -------------------------------------------------------------------------------


def _templates(chosen, args) -> bool:
    from ..api import Options, grade

    ok = True
    for ex in chosen:
        path = ex.directory / "template.py"
        if not path.is_file():
            ok = False
            say(f"{ex.id}  template   FAILED: no template.py in {ex.directory}")
            continue
        opts = Options(seed=args.seed, max_examples=args.max_examples if args.max_examples is not None else 5)
        try:
            report = grade(path, [ex.id], opts)
        except CheckerError as e:
            ok = False
            say(f"{ex.id}  template   FAILED: the checker could not grade it: {e}")
            continue
        rec = report.exercises[0]
        scoring = [i for i in rec.items if i.score > 0]
        broken = [i for i in rec.items if i.internal]
        if scoring or broken:
            ok = False
            why = [f"{i.name} scores {i.score:g}" for i in scoring] + [
                f"{i.name}: checker error: {i.message}" for i in broken
            ]
            say(f"{ex.id}  template   {rec.score:g}/{rec.max_score:g}  FAILED: " + "; ".join(why))
        else:
            say(f"{ex.id}  template   {rec.score:g}/{rec.max_score:g}, no checker error  OK")
    return ok


# -- 3. mutation analysis ---------------------------------------------------------------------------


def _mutation(ex, ref: Path, args, reference_status: str | None) -> bool:
    from ..grading import mutation, mutation_run

    if reference_status == "failed":
        say(f"{ex.id}  mutation analysis skipped: the reference does not get full marks")
        return False
    if reference_status == "skipped":
        say(f"{ex.id}  mutation score n/a (every item was skipped on this machine)")
        return True
    source = ref.read_text(encoding="utf-8")
    found = mutation.mutants(source, ex.mutated)
    listed = {e.mutant: e.reason for e in ex.equivalent}
    analysis = mutation_run.Analysis(
        ex.id, ex.mutation_threshold, generated=len(found), graded_with=list(ex.mutation_with), functions=ex.mutated
    )
    analysis.stale = sorted(set(listed) - {m.id for m in found})
    chosen = mutation.sample(found, args.max_mutants, args.seed)
    to_grade = [m for m in chosen if m.id not in listed]
    max_examples = args.max_examples if args.max_examples is not None else MUTANT_MAX_EXAMPLES
    sampled = f" (a sample of {len(chosen)} of {len(found)})" if len(chosen) < len(found) else ""
    note(
        f"validate: {ex.id}: {len(chosen)} mutants{sampled} of {', '.join(ex.mutated)} in {ref}; grading "
        f"{len(to_grade)} with {args.jobs} job{'s' if args.jobs > 1 else ''}, --max-examples {max_examples}"
    )
    t0 = time.monotonic()

    def progress(k, n, o):
        why = f"  {o.reason}" if o.reason else ""
        note(f"  {ex.id} [{k:>{len(str(n))}}/{n}] {o.mutant.id:<40} {o.status:<9}{why}  ({o.seconds:.1f} s)")

    outcomes = mutation_run.grade_all(
        to_grade,
        ex.id,
        graded_with=list(ex.mutation_with),
        jobs=args.jobs,
        max_examples=max_examples,
        seed=args.seed,
        timeout=float(ex.limits.wall_s) * (1 + len(ex.mutation_with)) + 120.0,
        progress=progress,
    )
    by_id = {o.mutant.id: o for o in outcomes}
    registry = None
    for m in chosen:
        if m.id in listed:
            analysis.outcomes.append(mutation_run.Outcome(m, "equivalent", f"listed in the spec: {listed[m.id]}"))
            continue
        o = by_id[m.id]
        if o.status == "survived" and ex.kind == "functions":
            if registry is None:
                from ..grading.installed import installed_registry

                registry = installed_registry().extended(ex.plugin())
            same, n, _ = mutation_run.equivalent_by_results(ex, registry, source, m, seed=args.seed, filename=str(ref))
            if same:
                o = mutation_run.Outcome(m, "equivalent", f"same results on {n} inputs", o.seconds)
        analysis.outcomes.append(o)
    note(f"validate: {ex.id}: mutation analysis took {time.monotonic() - t0:.1f} s")
    _print_analysis(analysis, ref)
    return analysis.passed


def _print_analysis(analysis, ref: Path) -> None:
    below = "" if analysis.passed else f"  FAILED: below the threshold of {100 * analysis.threshold:.0f} %"
    say(analysis.line() + below)
    for o in analysis.outcomes:
        if o.status == "survived":
            say(f"  survived: {o.mutant.id}  line {o.mutant.line}: {o.mutant.description}")
            for line in o.mutant.diff(ref.name).splitlines():
                say(f"    {line}")
    for o in analysis.outcomes:
        if o.status == "error":
            say(f"  checker error: {o.mutant.id}  line {o.mutant.line}: {o.mutant.description}: {o.reason}")
    for o in analysis.outcomes:
        if o.status == "equivalent":
            say(f"  equivalent: {o.mutant.id}  line {o.mutant.line}: {o.mutant.description}: {o.reason}")
    for o in analysis.outcomes:
        if o.status == "unscored":
            say(f"  unscored: {o.mutant.id}: {o.reason}")
    for mid in analysis.stale:
        say(
            f"  note: the spec lists {mid} as equivalent, but the reference has no such mutant (changed?): "
            "remove it from [[equivalent]]"
        )
