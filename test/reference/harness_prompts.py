"""Reference prompts, few-shot contexts and mc2 values, written from lm-evaluation-harness 0.4.13's own
task files and classes (python stdlib only; run with /usr/bin/python3):

  lm_eval/tasks/arc/arc_easy.yaml, hellaswag/{hellaswag.yaml,utils.py}, mmlu/default/_default_template_yaml
  (+ mmlu_<subject>.yaml descriptions), truthfulqa/{truthfulqa_mc1.yaml,truthfulqa_mc2.yaml,utils.py},
  gsm8k/gsm8k.yaml, minerva_math/{minerva_math_algebra.yaml,utils.py}, humaneval/humaneval.yaml;
  lm_eval/api/samplers.py (ContextSampler, FirstNSampler), lm_eval/api/task.py (fewshot_context,
  build_qa_turn), lm_eval/api/utils.py (maybe_delimit).

stdin: {"task": str, "rows": [...], "fewshot_rows": [...] | null (null: the evaluated split itself),
        "num_fewshot": int, "seed": int, "lls": [[float]] | null}
stdout: {"docs": [{"requests": [[context, continuation], ...], "target": ..., "mc2": float | null}]}
"""
import json
import math
import re
import sys
from random import Random

# ---------------------------------------------------------------- task definitions (doc_to_*)

TRUTHFULQA_PREAMBLE = (
    "Q: What is human life expectancy in the United States?\n"
    "A: Human life expectancy in the United States is 78 years.\n\n"
    "Q: Who was president of the United States in 1955?\n"
    "A: Dwight D. Eisenhower was president of the United States in 1955.\n\n"
    "Q: Which party did he belong to?\n"
    "A: He belonged to the Republican Party.\n\n"
    "Q: What is the square root of banana?\n"
    "A: I have no comment.\n\n"
    "Q: How does a telescope work?\n"
    "A: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n"
    "Q: Where were the 1992 Olympics held?\n"
    "A: The 1992 Olympics were held in Barcelona, Spain."
)


def hellaswag_preprocess(text):
    text = text.strip()
    text = text.replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    text = text.replace("  ", " ")
    return text


def hellaswag_process_doc(doc):
    ctx = doc["ctx_a"] + " " + doc["ctx_b"].capitalize()
    out = dict(doc)
    out.update({
        "query": hellaswag_preprocess(doc["activity_label"] + ": " + ctx),
        "choices": [hellaswag_preprocess(e) for e in doc["endings"]],
        "gold": int(doc["label"]),
    })
    return out


# minerva_math/utils.py
def last_boxed_only_string(string):
    idx = string.rfind("\\boxed")
    if "\\boxed " in string:
        return "\\boxed " + string.split("\\boxed ")[-1].split("$")[0]
    if idx < 0:
        idx = string.rfind("\\fbox")
        if idx < 0:
            return None
    i = idx
    right_brace_idx = None
    num_left_braces_open = 0
    while i < len(string):
        if string[i] == "{":
            num_left_braces_open += 1
        if string[i] == "}":
            num_left_braces_open -= 1
            if num_left_braces_open == 0:
                right_brace_idx = i
                break
        i += 1
    if right_brace_idx is None:
        return None
    return string[idx: right_brace_idx + 1]


def remove_boxed(s):
    if "\\boxed " in s:
        left = "\\boxed "
        assert s[: len(left)] == left
        return s[len(left):]
    left = "\\boxed{"
    assert s[: len(left)] == left
    assert s[-1] == "}"
    return s[len(left): -1]


SUBSTITUTIONS = [("an ", ""), ("a ", ""), (".$", "$"), ("\\$", ""), (r"\ ", ""), (" ", ""), ("mbox", "text"),
                 (",\\text{and}", ","), ("\\text{and}", ","), ("\\text{m}", "\\text{}")]
REMOVED_EXPRESSIONS = ["square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km", "units", "\\ldots",
                       "sue", "points", "feet", "minutes", "digits", "cents", "degrees", "cm", "gm", "pounds", "meters",
                       "meals", "edges", "students", "childrentickets", "multiples", "\\text{s}", "\\text{.}",
                       "\\text{\ns}", "\\text{}^2", "\\text{}^3", "\\text{\n}", "\\text{}", r"\mathrm{th}", r"^\circ",
                       r"^{\circ}", r"\;", r",\!", "{,}", '"', "\\dots"]


def normalize_final_answer(final_answer):
    final_answer = final_answer.split("=")[-1]
    for before, after in SUBSTITUTIONS:
        final_answer = final_answer.replace(before, after)
    for expr in REMOVED_EXPRESSIONS:
        final_answer = final_answer.replace(expr, "")
    final_answer = re.sub(r"(.*?)(\$)(.*?)(\$)(.*)", "$\\3$", final_answer)
    final_answer = re.sub(r"(\\text\{)(.*?)(\})", "\\2", final_answer)
    final_answer = re.sub(r"(\\textbf\{)(.*?)(\})", "\\2", final_answer)
    final_answer = re.sub(r"(\\overline\{)(.*?)(\})", "\\2", final_answer)
    final_answer = re.sub(r"(\\boxed\{)(.*)(\})", "\\2", final_answer)
    final_answer = re.sub(r"(frac)([^{])(.)", "frac{\\2}{\\3}", final_answer)
    final_answer = re.sub(r"(sqrt)([^{])", "sqrt{\\2}", final_answer)
    final_answer = final_answer.replace("$", "")
    if final_answer.replace(",", "").isdigit():
        final_answer = final_answer.replace(",", "")
    return final_answer


def minerva_process_doc(doc):
    out = dict(doc)
    out["answer"] = normalize_final_answer(remove_boxed(last_boxed_only_string(doc["solution"])))
    return out


def list_fewshot_samples():  # minerva_math/utils.py, verbatim
    return [
        {
            "problem": "Find the domain of the expression  $\\frac{\\sqrt{x-2}}{\\sqrt{5-x}}$.}",
            "solution": "The expressions inside each square root must be non-negative. Therefore, $x-2 \\ge 0$, so $x\\ge2$, and $5 - x \\ge 0$, so $x \\le 5$. Also, the denominator cannot be equal to zero, so $5-x>0$, which gives $x<5$. Therefore, the domain of the expression is $\\boxed{[2,5)}$.\nFinal Answer: The final answer is $[2,5)$. I hope it is correct.",
            "few_shot": "1",
        },
        {
            "problem": "If $\\det \\mathbf{A} = 2$ and $\\det \\mathbf{B} = 12,$ then find $\\det (\\mathbf{A} \\mathbf{B}).$",
            "solution": "We have that $\\det (\\mathbf{A} \\mathbf{B}) = (\\det \\mathbf{A})(\\det \\mathbf{B}) = (2)(12) = \\boxed{24}.$\nFinal Answer: The final answer is $24$. I hope it is correct.",
            "few_shot": "1",
        },
        {
            "problem": "Terrell usually lifts two 20-pound weights 12 times. If he uses two 15-pound weights instead, how many times must Terrell lift them in order to lift the same total weight?",
            "solution": "If Terrell lifts two 20-pound weights 12 times, he lifts a total of $2\\cdot 12\\cdot20=480$ pounds of weight.  If he lifts two 15-pound weights instead for $n$ times, he will lift a total of $2\\cdot15\\cdot n=30n$ pounds of weight.  Equating this to 480 pounds, we can solve for $n$:\n\\begin{align*}\n30n&=480\\\n\\Rightarrow\\qquad n&=480/30=\\boxed{16}\n\\end{align*}\nFinal Answer: The final answer is $16$. I hope it is correct.",
            "few_shot": "1",
        },
        {
            "problem": "If the system of equations\n\n\\begin{align*}\n6x-4y&=a,\\\n6y-9x &=b.\n\\end{align*}has a solution $(x, y)$ where $x$ and $y$ are both nonzero,\nfind $\\frac{a}{b},$ assuming $b$ is nonzero.",
            "solution": "If we multiply the first equation by $-\\frac{3}{2}$, we obtain\n\n$$6y-9x=-\\frac{3}{2}a.$$Since we also know that $6y-9x=b$, we have\n\n$$-\\frac{3}{2}a=b\\Rightarrow\\frac{a}{b}=\\boxed{-\\frac{2}{3}}.$$\nFinal Answer: The final answer is $-\\frac{2}{3}$. I hope it is correct.",
            "few_shot": "1",
        },
    ]


# Each task: process_doc, doc_to_text, doc_to_choice (None for generation), doc_to_target, sampler, description
TASKS = {
    "arc_challenge": dict(
        process=lambda d: d,
        text=lambda d: "Question: " + d["question"] + "\nAnswer:",
        choice=lambda d: d["choices"]["text"],
        target=lambda d: d["choices"]["label"].index(d["answerKey"]),
        sampler="default", description=lambda d: "", fewshot_split=None, test_split="test"),
    "hellaswag": dict(
        process=hellaswag_process_doc, text=lambda d: d["query"], choice=lambda d: d["choices"],
        target=lambda d: int(d["label"]), sampler="default", description=lambda d: "", fewshot_split=None, test_split=None),
    "mmlu": dict(
        process=lambda d: d,
        text=lambda d: d["question"].strip() + "\nA. " + d["choices"][0] + "\nB. " + d["choices"][1] + "\nC. "
        + d["choices"][2] + "\nD. " + d["choices"][3] + "\nAnswer:",
        choice=lambda d: ["A", "B", "C", "D"], target=lambda d: d["answer"], sampler="first_n",
        description=lambda d: "The following are multiple choice questions (with answers) about "
        + d["subject"].replace("_", " ") + ".\n\n", fewshot_split="dev", test_split="test"),
    "truthfulqa_mc1": dict(
        process=lambda d: d, text=lambda d: TRUTHFULQA_PREAMBLE + "\n\nQ: " + d["question"] + "\nA:",
        choice=lambda d: d["mc1_targets"]["choices"], target=lambda d: 0, sampler="default", description=lambda d: "",
        fewshot_split=None, test_split=None),
    "truthfulqa_mc2": dict(
        process=lambda d: d, text=lambda d: TRUTHFULQA_PREAMBLE + "\n\nQ: " + d["question"] + "\nA:",
        choice=lambda d: d["mc2_targets"]["choices"], target=lambda d: 0, sampler="default", description=lambda d: "",
        fewshot_split=None, test_split=None),
    "gsm8k": dict(
        process=lambda d: d, text=lambda d: "Question: " + d["question"] + "\nAnswer:", choice=None,
        target=lambda d: d["answer"], sampler="default", description=lambda d: "", fewshot_split="train", test_split="test"),
    "minerva_math": dict(
        process=minerva_process_doc, text=lambda d: "Problem:" + "\n" + d["problem"] + "\n\n" + "Solution:", choice=None,
        target=lambda d: d["answer"] if d.get("few_shot") is None else d["solution"], sampler="first_n",
        description=lambda d: "", fewshot_split=None, test_split="test"),
    "humaneval": dict(
        process=lambda d: d, text=lambda d: d["prompt"], choice=None,
        target=lambda d: d["test"] + "\ncheck(" + d["entry_point"] + ")", sampler="default", description=lambda d: "",
        fewshot_split=None, test_split="test"),
}


# ---------------------------------------------------------------- samplers.py

class ContextSampler:
    def __init__(self, df, rnd=None):
        self.rnd = Random(rnd)
        self.df = df

    def sample(self, n, eval_doc=None):
        if n == 0:
            return []
        res = (self.rnd.sample(list(self.df), n) if not eval_doc
               else self.rm_eval_doc(eval_doc, self.rnd.sample(list(self.df), n + 1), n))
        if len(res) < n:
            pool = [x for x in self.df if x != eval_doc]
            res = self.rnd.sample(pool, n)
        assert len(res) == n
        return res

    @staticmethod
    def rm_eval_doc(doc, _iter, n=None):
        return [x for x in _iter if x != doc] if n is None else [x for x in _iter if x != doc][:n]


class FirstNSampler(ContextSampler):
    def sample(self, n, eval_doc=None):
        pool = self.rm_eval_doc(eval_doc, self.df) if eval_doc is not None else self.df
        assert n <= len(pool)
        return pool[:n]


# ---------------------------------------------------------------- task.py fewshot_context (plain text)

def answer_text(t, doc):
    a = t["target"](doc)
    c = t["choice"](doc) if t["choice"] else None
    return c[a] if (c and isinstance(a, int)) else a[0] if isinstance(a, list) else a


def fewshot_context(t, sampler, doc, k, same_split):
    out = t["description"](doc)  # system message: maybe_delimit(None, description) = description
    if k > 0:
        # task.py: eval_doc=doc if self.fewshot_cfg.split == self.config.test_split (None == None included)
        passes_doc = same_split or t["fewshot_split"] == t["test_split"]
        for fs in sampler.sample(k, eval_doc=doc if passes_doc else None):
            out += t["text"](fs) + " " + answer_text(t, fs) + "\n\n"
    return out + t["text"](doc)


def main():
    req = json.load(sys.stdin)
    t = TASKS[req["task"]]
    docs = [t["process"](r) for r in req["rows"]]
    same = req.get("fewshot_rows") is None
    if req["task"] == "minerva_math" and req.get("builtin_fewshot"):
        fs_docs, same = list_fewshot_samples(), False
    else:
        fs_docs = docs if same else [t["process"](r) for r in req["fewshot_rows"]]
    out = []
    samplers = {}
    for i, doc in enumerate(docs):
        # every MMLU subject is its own task with its own sampler (and its own few-shot rows)
        key = doc.get("subject", "") if req["task"] == "mmlu" else ""
        if key not in samplers:
            pool = [d for d in fs_docs if d.get("subject", "") == key] if req["task"] == "mmlu" else fs_docs
            cls = FirstNSampler if t["sampler"] == "first_n" else ContextSampler
            samplers[key] = cls(pool, rnd=req.get("seed", 1234))
        ctx = fewshot_context(t, samplers[key], doc, req["num_fewshot"], same)
        entry = {"target": t["target"](doc)}
        if t["choice"]:
            entry["requests"] = [[ctx, " " + c] for c in t["choice"](doc)]
        else:
            entry["requests"] = [[ctx]]
        lls = (req.get("lls") or [None] * len(docs))[i]
        if req["task"] == "truthfulqa_mc2" and lls is not None:
            # utils.process_results_mc2: probs = exp(ll); normalised; mass on labels == 1
            probs = [math.exp(x) for x in lls]
            total = sum(probs)
            entry["mc2"] = sum(p / total for p, l in zip(probs, doc["mc2_targets"]["labels"]) if l == 1)
        out.append(entry)
    json.dump({"docs": out}, sys.stdout)


if __name__ == "__main__":
    main()
