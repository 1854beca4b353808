// The one error hierarchy of sluice. Errors are thrown inside and caught once at the CLI and
// HTTP boundaries. Each kind carries its exit code (SPEC §9) and its HTTP status, defined here
// and nowhere else:
//
//   kind             exit  HTTP  meaning
//   UsageError        2    400   the command line is wrong
//   InputError        2    400   bad input: malformed file or body, wrong type, corrupt data
//   DefinitionError   2    400   an InputError at file:line of a definition
//   NotFoundError     2    404   an unknown name: service, view, feature, source
//   CheckFailed       1    422   a check ran and failed (rule, mismatch)
//   UnavailableError  4    503   a store or broker cannot be reached or is busy; retry later
//   InternalError     3    500   a broken invariant or an environment failure (disk, I/O)
#pragma once

#include <stdexcept>
#include <string>

namespace sluice {

// Base of every sluice error. what() is a complete, user-facing sentence naming what and where.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  // Process exit code for this kind of failure.
  virtual int exit_code() const = 0;
  // HTTP status for this kind of failure.
  virtual int http_status() const = 0;
};

// The command line itself is wrong (unknown option, missing argument). Exit 2.
class UsageError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 2; }
  int http_status() const override { return 400; }
};

// Bad input: a malformed file, wrong type, unknown name, corrupt segment. Exit 2.
class InputError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 2; }
  int http_status() const override { return 400; }
};

// An unknown name (feature service, view, feature, source, dataset): bad input that an HTTP
// client sees as 404. Exit 2.
class NotFoundError : public InputError {
 public:
  using InputError::InputError;
  int http_status() const override { return 404; }
};

// An error in a definition file, with its position and a one-line fix hint. Exit 2.
class DefinitionError : public InputError {
 public:
  DefinitionError(std::string file, int line, std::string message, std::string hint);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& message() const { return message_; }
  const std::string& hint() const { return hint_; }

 private:
  std::string file_;
  int line_;
  std::string message_;
  std::string hint_;
};

// A check or comparison ran and found a failure (dataset hash mismatch, failed rule). Exit 1.
class CheckFailed : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 1; }
  int http_status() const override { return 422; }
};

// A service sluice depends on cannot be reached, failed a call, or is busy: the online store
// (Redis down, RocksDB held by another writer or failing I/O), a stream broker. Not the
// input's fault; the same request may succeed later. Exit 4, HTTP 503.
class UnavailableError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 4; }
  int http_status() const override { return 503; }
};

// A broken invariant inside sluice, or an environment failure (disk full, I/O). Exit 3.
class InternalError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 3; }
  int http_status() const override { return 500; }
};

// The HTTP status of any exception: an Error's own, 500 for anything else.
inline int HttpStatusOf(const std::exception& e) {
  const auto* error = dynamic_cast<const Error*>(&e);
  return error != nullptr ? error->http_status() : 500;
}

}  // namespace sluice
