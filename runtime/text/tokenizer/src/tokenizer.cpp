// Tokenizer: encode / decode / vocabulary queries over Tokenizer::Impl.
#include "tokenizer_impl.h"
#include "utf8.h"

#include <sys/stat.h>

namespace nhc::text {

using namespace detail;

namespace {

bool isDirectory(const std::string &p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool exists(const std::string &p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

} // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer &&) noexcept = default;
Tokenizer &Tokenizer::operator=(Tokenizer &&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::load(const std::string &path) {
  std::string json = path, dir;
  if (isDirectory(path)) {
    dir = path;
    json = path + "/tokenizer.json";
  } else {
    size_t slash = path.rfind('/');
    dir = slash == std::string::npos ? "." : path.substr(0, slash);
  }
  std::string config = dir + "/tokenizer_config.json";
  if (!exists(config)) config.clear();
  std::string chatTemplate = dir + "/" + kChatTemplateFile;
  if (!exists(chatTemplate)) chatTemplate.clear();
  return Tokenizer(loadTokenizer(json, config, chatTemplate));
}

std::vector<int32_t> Tokenizer::encode(std::string_view input,
                                       bool addSpecialTokens) const {
  const Impl &im = *impl_;
  std::string repaired;
  std::string_view text = input;
  if (!isValidUtf8(input)) {
    repaired = lossyUtf8(input);
    text = repaired;
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  // One time budget for every regex pass over the text's pieces.
  detail::RegexBudget budget(text.size());
  std::vector<Segment> segs;
  im.added.split(text, segs);
  std::vector<std::string> words;
  for (const Segment &s : segs) {
    if (s.id >= 0) {
      ids.push_back(s.id);
      continue;
    }
    words.clear();
    im.pre.run(text.substr(s.begin, s.end - s.begin), words);
    for (const std::string &w : words) {
      if (im.cache.get(w, ids)) continue;
      size_t before = ids.size();
      im.model->tokenize(w, ids);
      im.cache.put(w, ids.data() + before, ids.size() - before);
    }
  }
  if (addSpecialTokens) im.post.apply(ids);
  return ids;
}

std::string Tokenizer::decode(const std::vector<int32_t> &ids,
                              bool skipSpecialTokens) const {
  const Impl &im = *impl_;
  std::string bytes;
  bool first = true;
  for (int32_t id : ids) {
    // tokenizers drops ids with no token (a gap, >= vocabSize(), negative)
    // before joining: they give no text and no separator.
    const IdEntry *e = im.entry(id);
    if (!e) continue;
    if (skipSpecialTokens && e->special) continue;
    if (im.decoder == DecoderKind::None && !first) bytes.push_back(' ');
    bytes += e->bytes;
    first = false;
  }
  return lossyUtf8(bytes);
}

size_t Tokenizer::vocabSize() const { return impl_->idIndex.size(); }

std::optional<int32_t> Tokenizer::tokenToId(std::string_view token) const {
  if (const AddedToken *t = impl_->added.byContent(token)) return t->id;
  return impl_->model->tokenToId(token);
}

std::optional<std::string> Tokenizer::idToToken(int32_t id) const {
  const IdEntry *e = impl_->entry(id);
  if (!e) return std::nullopt;
  return e->token;
}

bool Tokenizer::isSpecial(int32_t id) const {
  const IdEntry *e = impl_->entry(id);
  return e && e->special;
}

std::optional<int32_t> Tokenizer::bosId() const { return impl_->bosId; }
std::optional<int32_t> Tokenizer::eosId() const { return impl_->eosId; }
const std::string &Tokenizer::bosToken() const { return impl_->bosToken; }
const std::string &Tokenizer::eosToken() const { return impl_->eosToken; }
std::optional<bool> Tokenizer::addBosToken() const { return impl_->addBos; }
std::optional<bool> Tokenizer::addEosToken() const { return impl_->addEos; }
const std::string &Tokenizer::chatTemplate() const { return impl_->chatTemplate; }
const std::string &Tokenizer::chatTemplateSource() const {
  return impl_->chatTemplateSource;
}

std::string Tokenizer::tokenBytes(int32_t id) const {
  const IdEntry *e = impl_->entry(id);
  return e ? e->bytes : std::string(); // what push() adds: nothing
}

} // namespace nhc::text
