// Result type for untrusted input and I/O: a value or an Error, never an
// exception across a layer boundary (std::expected is C++23; this is the
// small part of it the hub needs).
#pragma once

#include <ketenhub/sdk/canonical.hpp>

#include <cassert>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ketenhub {

using sdk::Problem;

enum class ErrorKind {
    Invalid,      // the input is wrong; the sender can fix it (4xx)
    NotFound,     // nothing by that key
    Conflict,     // contradicts something already accepted
    Unavailable,  // a dependency is down; try again (5xx)
    Internal,     // a defect or an unexpected failure (5xx)
};

struct Error {
    ErrorKind kind = ErrorKind::Internal;
    std::string message;            // one line a human can act on
    std::vector<Problem> problems;  // where exactly, when known

    static Error invalid(std::string m, std::vector<Problem> p = {}) { return {ErrorKind::Invalid, std::move(m), std::move(p)}; }
    static Error internal(std::string m) { return {ErrorKind::Internal, std::move(m), {}}; }
    static Error unavailable(std::string m) { return {ErrorKind::Unavailable, std::move(m), {}}; }
    static Error not_found(std::string m) { return {ErrorKind::NotFound, std::move(m), {}}; }
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { assert(ok()); return std::get<0>(v_); }
    const T& value() const& { assert(ok()); return std::get<0>(v_); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { assert(!ok()); return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// "line 7: /HelpdeskVraag/ontvangenOp: ...; line 9: ..." on one line.
inline std::string summarize(const std::vector<Problem>& problems) {
    std::string s;
    for (const auto& p : problems) {
        if (!s.empty()) s += "; ";
        if (p.line > 0) s += "line " + std::to_string(p.line) + ": ";
        if (!p.field.empty()) s += p.field + ": ";
        s += p.message;
    }
    return s;
}

struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() { return Unit{}; }

}  // namespace ketenhub
