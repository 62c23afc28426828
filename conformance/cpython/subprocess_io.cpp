// Twin of subprocess_io.py: subprocess input and output — capture_output,
// input, bytes and text mode (universal newlines), stderr=STDOUT, DEVNULL,
// Popen pipes with readline and write, communicate() twice and after the
// child ended (seed 004 §1.4 "拓展之subprocess"; CPython Lib/subprocess.py
// run, Popen.communicate, CompletedProcess.__repr__).
#include <string>

#include "concur/subprocess.hpp"
#include "twin.hpp"

namespace sp = concur::subprocess;
using twin::line;
using twin::bytes_or_none;

namespace {
std::string pair_repr(const sp::Popen::Output& o) {
  return "(" + bytes_or_none(o.first) + ", " + bytes_or_none(o.second) + ")";
}
}  // namespace

int main() {
  auto cp = sp::run({"sh", "-c", "echo out; echo err >&2"}, {.capture_output = true});
  line("capture_output: ", cp.repr());
  cp = sp::run({"sh", "-c", "echo out; echo err >&2"}, {.capture_output = true, .text = true});
  line("capture_output text: ", cp.repr());
  cp = sp::run({"cat"}, {.input = "line 1\nline 2\n", .capture_output = true});
  line("input bytes: stdout=", bytes_or_none(cp.stdout), " stderr=", bytes_or_none(cp.stderr));
  cp = sp::run({"cat"}, {.input = "caf\u00e9\n", .capture_output = true, .text = true});
  line("input text: stdout=", twin::repr(*cp.stdout));
  cp = sp::run({"printf", "a\\r\\nb\\rc\\n"}, {.stdout = sp::PIPE});
  line("CRLF as bytes: ", bytes_or_none(cp.stdout));
  cp = sp::run({"printf", "a\\r\\nb\\rc\\n"}, {.stdout = sp::PIPE, .text = true});
  line("CRLF as text: ", twin::repr(*cp.stdout));
  cp = sp::run({"sh", "-c", "echo one; echo two >&2; echo three"}, {.stdout = sp::PIPE, .stderr = sp::STDOUT});
  line("stderr=STDOUT: stdout=", bytes_or_none(cp.stdout), " stderr=", bytes_or_none(cp.stderr));
  cp = sp::run({"sh", "-c", "echo hidden; echo shown >&2"}, {.stdout = sp::DEVNULL, .stderr = sp::PIPE});
  line("stdout=DEVNULL: ", cp.repr());
  cp = sp::run({"cat"}, {.input = "", .capture_output = true});
  line("empty input: ", bytes_or_none(cp.stdout));
  cp = sp::run({"head", "-c", "3"}, {.input = std::string(200000, 'x'), .capture_output = true});
  line("child reads less than the input: stdout=", bytes_or_none(cp.stdout), " returncode=", cp.returncode);
  auto big = sp::run({"sh", "-c", "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2"}, {.capture_output = true});
  line("large outputs on both pipes: ", big.stdout->size(), " ", big.stderr->size());

  {
    sp::Popen p({"cat"}, {.stdin = sp::PIPE, .stdout = sp::PIPE});
    p.stdin()->write("first\n");
    line("Popen readline: ", twin::bytes_repr(p.stdout()->readline()));
    auto out = p.communicate("rest\n");
    line("communicate: out=", bytes_or_none(out.first), " err=", bytes_or_none(out.second),
         " returncode=", twin::py(p.returncode()));
    line("communicate again: ", pair_repr(p.communicate()));
  }
  {
    sp::Popen p({"sh", "-c", "printf 'x\\r\\ny'"}, {.stdout = sp::PIPE, .text = true});
    line("Popen text read: ", twin::repr(p.stdout()->read()));
    p.wait();
  }
  sp::Popen p({"true"});
  const auto none = p.communicate();
  line("communicate without pipes: ", pair_repr(none), " returncode=", twin::py(p.returncode()));
}
