// nhc text: the one exception type of the tokenizer and chat-template code.
#ifndef NHC_TEXT_TEXT_ERROR_H
#define NHC_TEXT_TEXT_ERROR_H

#include <stdexcept>

namespace nhc::text {

/// Thrown for malformed or unsupported tokenizer files and for bad arguments
/// (an out-of-range id).  what() names the file and the JSON key or token at
/// fault, e.g. "tokenizer.json: model.merges[12]: token \"ab\" is not in
/// model.vocab".
class TextError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace nhc::text

#endif // NHC_TEXT_TEXT_ERROR_H
