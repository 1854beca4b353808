#include "expr/syntax.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace sluice::expr {
namespace {

enum class Tok { kEnd, kNumber, kString, kIdent, kOp, kLParen, kRParen, kComma };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // identifier (lower-cased for keywords kept in `raw`), operator, literal
  std::string raw;
  size_t offset = 0;
  bool is_float = false;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Token Next() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    Token t;
    t.offset = pos_;
    if (pos_ >= s_.size()) return t;
    const char c = s_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && pos_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])))) {
      size_t end = pos_;
      while (end < s_.size() && std::isdigit(static_cast<unsigned char>(s_[end]))) ++end;
      if (end < s_.size() && s_[end] == '.') {
        t.is_float = true;
        ++end;
        while (end < s_.size() && std::isdigit(static_cast<unsigned char>(s_[end]))) ++end;
      }
      if (end < s_.size() && (s_[end] == 'e' || s_[end] == 'E')) {
        size_t e = end + 1;
        if (e < s_.size() && (s_[e] == '+' || s_[e] == '-')) ++e;
        if (e < s_.size() && std::isdigit(static_cast<unsigned char>(s_[e]))) {
          t.is_float = true;
          end = e;
          while (end < s_.size() && std::isdigit(static_cast<unsigned char>(s_[end]))) ++end;
        }
      }
      t.kind = Tok::kNumber;
      t.text = std::string(s_.substr(pos_, end - pos_));
      pos_ = end;
      return t;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t end = pos_;
      while (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) ||
                                 s_[end] == '_' || s_[end] == '.')) {
        ++end;
      }
      t.kind = Tok::kIdent;
      t.raw = std::string(s_.substr(pos_, end - pos_));
      t.text = Lower(t.raw);
      pos_ = end;
      return t;
    }
    if (c == '`') {
      const size_t end = s_.find('`', pos_ + 1);
      if (end == std::string_view::npos) {
        throw SyntaxError{fmt::format("unterminated `quoted name` at offset {}", pos_)};
      }
      t.kind = Tok::kIdent;
      t.raw = std::string(s_.substr(pos_ + 1, end - pos_ - 1));
      t.text = "`";  // never a keyword
      pos_ = end + 1;
      return t;
    }
    if (c == '\'' || c == '"') {
      std::string value;
      size_t i = pos_ + 1;
      for (; i < s_.size() && s_[i] != c; ++i) {
        if (s_[i] == '\\' && i + 1 < s_.size()) {
          ++i;
          switch (s_[i]) {
            case 'n': value += '\n'; break;
            case 't': value += '\t'; break;
            default: value += s_[i];
          }
        } else {
          value += s_[i];
        }
      }
      if (i >= s_.size()) throw SyntaxError{fmt::format("unterminated string at offset {}", pos_)};
      t.kind = Tok::kString;
      t.text = value;
      pos_ = i + 1;
      return t;
    }
    if (c == '(' || c == ')' || c == ',') {
      t.kind = c == '(' ? Tok::kLParen : c == ')' ? Tok::kRParen : Tok::kComma;
      t.text = std::string(1, c);
      ++pos_;
      return t;
    }
    static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "<>"};
    for (std::string_view op : kTwo) {
      if (s_.substr(pos_, 2) == op) {
        t.kind = Tok::kOp;
        t.text = std::string(op);
        pos_ += 2;
        return t;
      }
    }
    if (std::string_view("+-*/%<>=").find(c) != std::string_view::npos) {
      t.kind = Tok::kOp;
      t.text = std::string(1, c);
      ++pos_;
      return t;
    }
    throw SyntaxError{fmt::format("unexpected character '{}' at offset {}", c, pos_)};
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// Precedence climbing: or < and < not < comparison < is-null < additive < multiplicative <
// unary minus < primary.
class Parser {
 public:
  explicit Parser(std::string_view text) : lex_(text) { Advance(); }

  std::shared_ptr<Node> ParseAll() {
    auto n = ParseOr();
    if (tok_.kind != Tok::kEnd) Unexpected();
    return n;
  }

 private:
  void Advance() { tok_ = lex_.Next(); }
  bool IsKeyword(const char* k) const { return tok_.kind == Tok::kIdent && tok_.text == k; }
  bool IsOp(const char* o) const { return tok_.kind == Tok::kOp && tok_.text == o; }

  [[noreturn]] void Unexpected() const {
    if (tok_.kind == Tok::kEnd) throw SyntaxError{"unexpected end of expression"};
    throw SyntaxError{fmt::format("unexpected '{}' at offset {}",
                                  tok_.kind == Tok::kString ? "'" + tok_.text + "'"
                                  : tok_.raw.empty()        ? tok_.text
                                                            : tok_.raw,
                                  tok_.offset)};
  }

  static std::shared_ptr<Node> Make(Op op, size_t offset, std::vector<std::shared_ptr<Node>> args) {
    auto n = std::make_shared<Node>();
    n->op = op;
    n->offset = offset;
    n->args = std::move(args);
    SetDepth(*n);
    return n;
  }

  // Trees deeper than this are refused: the parser, the type checker, the evaluator and the
  // tree's destructor all recurse once per level, and `((((…` or `1+1+1+…` ten thousand
  // levels deep overflowed the stack (found reading expression_fuzz's limits).
  static constexpr int kMaxDepth = 256;

  static void SetDepth(Node& n) {
    n.depth = 1;
    for (const auto& a : n.args) n.depth = std::max(n.depth, a->depth + 1);
    if (n.depth > kMaxDepth) {
      throw SyntaxError{fmt::format("expression nested more than {} levels deep (at offset {})",
                                    kMaxDepth, n.offset)};
    }
  }

  // Counts the parser's own recursion (parentheses, arguments, `not not …`, `- - …`), which
  // runs before a node shows the depth.
  int nesting_ = 0;
  struct Nest {
    Parser& p;
    explicit Nest(Parser& parser) : p(parser) {
      if (++p.nesting_ > 3 * kMaxDepth) {  // a parenthesis passes three of these
        throw SyntaxError{fmt::format("expression nested more than {} levels deep (at offset {})",
                                      kMaxDepth, p.tok_.offset)};
      }
    }
    ~Nest() { --p.nesting_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;
  };

  std::shared_ptr<Node> ParseOr() {
    const Nest nest(*this);
    auto left = ParseAnd();
    while (IsKeyword("or")) {
      const size_t at = tok_.offset;
      Advance();
      left = Make(Op::kOr, at, {left, ParseAnd()});
    }
    return left;
  }

  std::shared_ptr<Node> ParseAnd() {
    auto left = ParseNot();
    while (IsKeyword("and")) {
      const size_t at = tok_.offset;
      Advance();
      left = Make(Op::kAnd, at, {left, ParseNot()});
    }
    return left;
  }

  std::shared_ptr<Node> ParseNot() {
    const Nest nest(*this);
    if (IsKeyword("not")) {
      const size_t at = tok_.offset;
      Advance();
      return Make(Op::kNot, at, {ParseNot()});
    }
    return ParseComparison();
  }

  std::shared_ptr<Node> ParseComparison() {
    auto left = ParseIsNull();
    while (tok_.kind == Tok::kOp) {
      Op op;
      const std::string& o = tok_.text;
      if (o == "==" || o == "=") op = Op::kEq;
      else if (o == "!=" || o == "<>") op = Op::kNe;
      else if (o == "<") op = Op::kLt;
      else if (o == "<=") op = Op::kLe;
      else if (o == ">") op = Op::kGt;
      else if (o == ">=") op = Op::kGe;
      else break;
      const size_t at = tok_.offset;
      Advance();
      left = Make(op, at, {left, ParseIsNull()});
    }
    return left;
  }

  std::shared_ptr<Node> ParseIsNull() {
    auto left = ParseAdditive();
    while (IsKeyword("is")) {
      const size_t at = tok_.offset;
      Advance();
      bool negate = false;
      if (IsKeyword("not")) {
        negate = true;
        Advance();
      }
      if (!IsKeyword("null")) Unexpected();
      Advance();
      left = Make(negate ? Op::kIsNotNull : Op::kIsNull, at, {left});
    }
    return left;
  }

  std::shared_ptr<Node> ParseAdditive() {
    auto left = ParseMultiplicative();
    while (IsOp("+") || IsOp("-")) {
      const Op op = tok_.text == "+" ? Op::kAdd : Op::kSub;
      const size_t at = tok_.offset;
      Advance();
      left = Make(op, at, {left, ParseMultiplicative()});
    }
    return left;
  }

  std::shared_ptr<Node> ParseMultiplicative() {
    auto left = ParseUnary();
    while (IsOp("*") || IsOp("/") || IsOp("%")) {
      const Op op = tok_.text == "*" ? Op::kMul : tok_.text == "/" ? Op::kDiv : Op::kMod;
      const size_t at = tok_.offset;
      Advance();
      left = Make(op, at, {left, ParseUnary()});
    }
    return left;
  }

  std::shared_ptr<Node> ParseUnary() {
    const Nest nest(*this);
    if (IsOp("-")) {
      const size_t at = tok_.offset;
      Advance();
      // Fold "-<number literal>" so that INT64_MIN can be written: an integer is read with its
      // sign, as its magnitude alone is out of int64 range.
      if (tok_.kind == Tok::kNumber && !tok_.is_float) {
        const Token t = tok_;
        Advance();
        return IntLiteral("-" + t.text, at);
      }
      auto operand = ParseUnary();
      if (operand->op == Op::kLiteral && !operand->literal.is_null) {
        if (operand->literal.type == DataType::kFloat64) {
          operand->literal.d = -operand->literal.d;
          operand->offset = at;
          return operand;
        }
      }
      return Make(Op::kNeg, at, {operand});
    }
    if (IsOp("+")) {
      Advance();
      return ParseUnary();
    }
    return ParsePrimary();
  }

  // An int64 literal from its decimal text (with an optional leading '-').
  static std::shared_ptr<Node> IntLiteral(const std::string& text, size_t offset) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc()) {
      throw SyntaxError{fmt::format("integer {} at offset {} is out of int64 range", text, offset)};
    }
    auto n = Make(Op::kLiteral, offset, {});
    n->literal = Value::Int(v);
    return n;
  }

  std::shared_ptr<Node> ParsePrimary() {
    const Token t = tok_;
    switch (t.kind) {
      case Tok::kNumber: {
        Advance();
        if (t.is_float) {
          auto n = Make(Op::kLiteral, t.offset, {});
          n->literal = Value::Float(std::strtod(t.text.c_str(), nullptr));
          return n;
        }
        return IntLiteral(t.text, t.offset);
      }
      case Tok::kString: {
        Advance();
        auto n = Make(Op::kLiteral, t.offset, {});
        n->literal = Value::String(t.text);
        return n;
      }
      case Tok::kLParen: {
        Advance();
        auto inner = ParseOr();
        if (tok_.kind != Tok::kRParen) Unexpected();
        Advance();
        return inner;
      }
      case Tok::kIdent: {
        Advance();
        if (t.text == "true" || t.text == "false") {
          auto n = Make(Op::kLiteral, t.offset, {});
          n->literal = Value::Bool(t.text == "true");
          return n;
        }
        if (t.text == "null") return Make(Op::kNullLiteral, t.offset, {});
        if (t.text == "and" || t.text == "or" || t.text == "not" || t.text == "is") {
          throw SyntaxError{fmt::format("unexpected '{}' at offset {}", t.raw, t.offset)};
        }
        if (tok_.kind == Tok::kLParen && t.text != "`") {
          Advance();
          auto n = Make(Op::kCall, t.offset, {});
          n->name = t.text;
          if (tok_.kind != Tok::kRParen) {
            while (true) {
              n->args.push_back(ParseOr());
              if (tok_.kind == Tok::kComma) {
                Advance();
                continue;
              }
              break;
            }
          }
          if (tok_.kind != Tok::kRParen) Unexpected();
          Advance();
          SetDepth(*n);
          return n;
        }
        auto n = Make(Op::kColumn, t.offset, {});
        n->name = t.raw;
        return n;
      }
      default:
        Unexpected();
    }
  }

  Lexer lex_;
  Token tok_;
};

}  // namespace

std::shared_ptr<Node> Parse(std::string_view text) { return Parser(text).ParseAll(); }

void PromoteToFloat(std::shared_ptr<Node>& arg) {
  auto cast = std::make_shared<Node>();
  cast->op = Op::kToFloat;
  cast->offset = arg->offset;
  cast->type = DataType::kFloat64;
  cast->args = {arg};
  arg = cast;
}

}  // namespace sluice::expr
