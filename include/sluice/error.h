// The one error hierarchy of sluice. Errors are thrown inside and caught once at the CLI and
// HTTP boundaries, where they map to exit codes (SPEC §9) and HTTP statuses.
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
};

// The command line itself is wrong (unknown option, missing argument). Exit 2.
class UsageError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 2; }
};

// Bad input: a malformed file, wrong type, unknown name, corrupt segment. Exit 2.
class InputError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 2; }
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
};

// A broken invariant inside sluice, or an environment failure (disk full, I/O). Exit 3.
class InternalError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 3; }
};

}  // namespace sluice
