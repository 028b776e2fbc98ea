// nhc-chat-template: renders a chat template for a context, e.g.
//   nhc-chat-template tokenizer_config.json context.json
//   nhc-chat-template checkpoint-dir context.json   (its chat_template.jinja,
//                                                   else tokenizer_config.json)
//   nhc-chat-template template.jinja context.json
// The output is written to stdout byte for byte (no newline added).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nhc/text/chat_template.h>
#include <nhc/text/tokenizer.h>

namespace {

std::string read_file(const std::string &path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw nhc::text::TextError(path + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw nhc::text::TextError(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw nhc::text::TextError(path + ": cannot read");
  return ss.str();
}

nlohmann::ordered_json parse_json_file(const std::string &path) {
  try {
    return nlohmann::ordered_json::parse(read_file(path));
  } catch (const nlohmann::json::exception &e) {
    throw nhc::text::TextError(path + ": " + e.what());
  }
}

// A special token in tokenizer_config.json: a string or {"content": ...}.
const nlohmann::ordered_json *token_text(const nlohmann::ordered_json &cfg, const char *key) {
  auto it = cfg.find(key);
  if (it == cfg.end()) return nullptr;
  if (it->is_string()) return &*it;
  if (it->is_object()) {
    auto c = it->find("content");
    if (c != it->end() && c->is_string()) return &*c;
  }
  return nullptr;
}

// Fills the context's bos_token / eos_token from tokenizer_config.json
// `cfg` where the context lacks them.
void fill_tokens(const nlohmann::ordered_json &cfg, nlohmann::ordered_json &context) {
  if (!cfg.is_object()) return;
  for (const char *key : {"bos_token", "eos_token"})
    if (!context.contains(key))
      if (const auto *t = token_text(cfg, key)) context[key] = *t;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: nhc-chat-template TEMPLATE_FILE|tokenizer_config.json|DIR CONTEXT.json\n"
                 "(a DIR's chat_template.jinja, else its tokenizer_config.json's template,\n"
                 "as transformers 5 picks)\n"
                 "Renders the chat template with the variables of CONTEXT.json (an object:\n"
                 "messages, add_generation_prompt, tools, ...) and prints the result.\n");
    return 2;
  }
  try {
    std::string tpl_path = argv[1];
    std::error_code ec;
    // A directory's tokens (bos/eos) come from its tokenizer_config.json
    // even when its template is chat_template.jinja.
    std::string tokens_path;
    if (std::filesystem::is_directory(tpl_path, ec)) {
      std::filesystem::path dir(tpl_path);
      tokens_path = (dir / "tokenizer_config.json").string();
      std::filesystem::path jinja = dir / nhc::text::kChatTemplateFile;
      tpl_path = std::filesystem::exists(jinja, ec) ? jinja.string() : tokens_path;
    }
    std::string name = tpl_path;
    auto context = parse_json_file(argv[2]);
    if (!context.is_object()) throw nhc::text::TextError(std::string(argv[2]) + ": not a JSON object");
    if (!tokens_path.empty() && tokens_path != tpl_path &&
        std::filesystem::exists(tokens_path, ec)) {
      fill_tokens(parse_json_file(tokens_path), context);
    }
    bool is_config = tpl_path.size() >= 5 && tpl_path.compare(tpl_path.size() - 5, 5, ".json") == 0;
    std::string source;
    if (!is_config) {
      source = read_file(tpl_path);
    } else {
      auto cfg = parse_json_file(tpl_path);
      if (!cfg.is_object()) throw nhc::text::TextError(tpl_path + ": not a JSON object");
      auto it = cfg.find("chat_template");
      if (it == cfg.end()) throw nhc::text::TextError(tpl_path + ": no chat_template");
      if (it->is_string()) {
        source = it->get<std::string>();
      } else if (it->is_array()) {
        bool found = false;
        for (const auto &t : *it) {
          auto n = t.is_object() ? t.find("name") : t.end();
          if (n == t.end() || *n != "default") continue;
          auto text = t.find("template");
          if (text == t.end() || !text->is_string())
            throw nhc::text::TextError(tpl_path + ": chat_template 'default' has no template string");
          source = text->get<std::string>();
          found = true;
        }
        if (!found) throw nhc::text::TextError(tpl_path + ": no chat_template named 'default'");
      } else {
        throw nhc::text::TextError(tpl_path + ": chat_template is neither a string nor a list");
      }
      name = tpl_path + " chat_template";
      fill_tokens(cfg, context);
    }
    auto tpl = nhc::text::ChatTemplate::parse(std::move(source), std::move(name));
    std::string out = tpl.render(context);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "nhc-chat-template: %s\n", e.what());
    return 1;
  }
}
