//===- ArtifactEdit.h - Copies of compiled artifacts, edited ---*- C++ -*-===//
//
// Tests that need an artifact the compiler would not write (an older
// compiler's, or a hand-edited or hostile one) copy a compiled one and
// change one JSON section, every other section kept byte for byte and the
// container's checksums recomputed, so the runtime sees a well-formed file.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_TEST_E2E_ARTIFACTEDIT_H
#define NHC_TEST_E2E_ARTIFACTEDIT_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace nhc::test {

/// Writes to `to` a copy of the artifact at `from` whose JSON section of
/// `kind` (NHC_SECTION_MANIFEST_JSON, NHC_SECTION_LAUNCH_TABLE_JSON) `edit`
/// has changed. Returns an empty string on success, else what failed (an
/// unreadable `from`, no section of `kind`, a write error).
std::string writeEditedJsonSection(
    const std::string &from, const std::string &to, uint32_t kind,
    const std::function<void(nlohmann::json &)> &edit);

} // namespace nhc::test

#endif // NHC_TEST_E2E_ARTIFACTEDIT_H
