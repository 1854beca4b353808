// Syntax of the expression language: tokens → an untyped tree (Node), with byte offsets for
// error messages. Typing happens in expression.cc.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/types.h"

namespace sluice::expr {

enum class Op {
  kLiteral,
  kNullLiteral,
  kColumn,
  kNeg,
  kNot,
  kAdd, kSub, kMul, kDiv, kMod,
  kEq, kNe, kLt, kLe, kGt, kGe,
  kAnd, kOr,
  kIsNull, kIsNotNull,
  kCall,
  kToFloat,  // inserted by the type checker: int64 → float64
};

struct Node {
  Op op = Op::kLiteral;
  size_t offset = 0;         // byte offset in the text, for messages
  std::string name;          // column or function name
  Value literal;             // kLiteral
  std::vector<std::shared_ptr<Node>> args;
  int depth = 1;             // levels of the tree below and including this node
  // Set by the type checker:
  DataType type = DataType::kInt64;
  int column = -1;           // kColumn: index into the input Schema
  int function = -1;         // kCall: index into the function table
};

// Wraps `arg` in a kToFloat node (int64 → float64), as the type checker does where an int64
// meets a float64.
void PromoteToFloat(std::shared_ptr<Node>& arg);

// Parses `text`. Throws SyntaxError (message with offset) on malformed input.
std::shared_ptr<Node> Parse(std::string_view text);

struct SyntaxError {
  std::string message;
};

}  // namespace sluice::expr
