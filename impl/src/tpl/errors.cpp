// The out-of-line parts of the .NET-derived exceptions in concur/errors.hpp.
#include <exception>
#include <string>
#include <vector>

#include "concur/errors.hpp"

namespace concur {

namespace detail {
std::string aggregate_exception_text(const std::string& message, const std::vector<std::exception_ptr>& inners) {
  std::string text = message;
  for (const auto& e : inners) {
    text += " (";
    try {
      if (e) std::rethrow_exception(e);
      text += "(null)";
    } catch (const std::exception& ex) {
      text += ex.what();
    } catch (...) {
      text += "(unknown exception)";
    }
    text += ")";
  }
  return text;
}
}  // namespace detail

namespace {
void flatten_into(const std::vector<std::exception_ptr>& inners, std::vector<std::exception_ptr>& out) {
  for (const auto& e : inners) {
    try {
      if (e) std::rethrow_exception(e);
      out.push_back(e);
    } catch (const AggregateException& agg) {
      flatten_into(agg.inner_exceptions(), out);
    } catch (...) {
      out.push_back(e);
    }
  }
}
}  // namespace

AggregateException AggregateException::flatten() const {
  std::vector<std::exception_ptr> out;
  flatten_into(*inner_, out);
  return AggregateException(std::move(out));
}

}  // namespace concur
