//===- CompileCacheTest.cpp - the compile cache's directory ---------------===//

#include "nhc/Compiler/CompileCache.h"
#include "nhc/runtime/artifact.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using mlir::nhc::CachedSection;
using mlir::nhc::CompileCache;

namespace {

class CompileCacheTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(
        llvm::sys::fs::createUniqueDirectory("nhc-compile-cache", dir_));
  }
  // std::filesystem, not llvm::sys::fs::remove_directories: the tests leave
  // FIFOs, which LLVM's walk does not remove (the directory stayed in /tmp).
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(std::string(dir_), ignored);
  }

  std::string entry(llvm::StringRef key) const {
    llvm::SmallString<256> path(dir_);
    llvm::sys::path::append(path, key + ".nhc");
    return std::string(path);
  }
  /// A regular file holding "x", and a directory path under it, which
  /// therefore cannot be created: {file, directory}.
  std::pair<std::string, std::string> directoryUnderAFile() const {
    llvm::SmallString<256> file(dir_);
    llvm::sys::path::append(file, "not-a-directory");
    writeFile(std::string(file), "x");
    llvm::SmallString<256> under(file);
    llvm::sys::path::append(under, "cache");
    return {std::string(file), std::string(under)};
  }
  std::string lockFile(llvm::StringRef key) const {
    llvm::SmallString<256> path(dir_);
    llvm::sys::path::append(path, key + ".lock");
    return std::string(path);
  }
  static std::vector<CachedSection> sections(size_t payload = 1000) {
    return {{NHC_SECTION_HOST_SHARED_LIBRARY, "x86-64",
             std::string(payload, 'a')},
            {NHC_SECTION_PTX, "sm_90", "// ptx"}};
  }
  static std::string readFile(const std::string &path) {
    auto buffer = llvm::MemoryBuffer::getFile(path);
    return buffer ? (*buffer)->getBuffer().str() : "";
  }
  static void writeFile(const std::string &path, const std::string &bytes) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << bytes;
  }
  static void setModified(const std::string &path,
                          std::chrono::seconds ago) {
    int fd;
    ASSERT_FALSE(llvm::sys::fs::openFileForWrite(
        path, fd, llvm::sys::fs::CD_OpenExisting, llvm::sys::fs::OF_Append));
    EXPECT_FALSE(llvm::sys::fs::setLastAccessAndModificationTime(
        fd, std::chrono::system_clock::now() - ago));
    llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  }

  llvm::SmallString<256> dir_;
};

TEST_F(CompileCacheTest, KeyCoversEveryPartAndWhereItEnds) {
  std::string key = CompileCache::key({"host", "x86-64", "library"});
  ASSERT_EQ(key.size(), 64u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(key, CompileCache::key({"host", "x86-64", "library"}));
  EXPECT_NE(key, CompileCache::key({"host", "x86-64-v3", "library"}));
  EXPECT_NE(key, CompileCache::key({"host", "x86-64", "library "}));
  EXPECT_NE(key, CompileCache::key({"hostx86-64", "", "library"}));
  EXPECT_NE(key, CompileCache::key({"host", "x86-64", "library", ""}));
}

TEST_F(CompileCacheTest, StoredSectionsComeBackInOrder) {
  CompileCache cache{std::string(dir_)};
  std::string key = CompileCache::key({"round trip"});
  EXPECT_FALSE(cache.lookup(key));
  EXPECT_EQ(cache.store(key, sections()), "");
  std::optional<std::vector<CachedSection>> hit = cache.lookup(key);
  ASSERT_TRUE(hit);
  std::vector<CachedSection> expected = sections();
  ASSERT_EQ(hit->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*hit)[i].kind, expected[i].kind);
    EXPECT_EQ((*hit)[i].name, expected[i].name);
    EXPECT_EQ((*hit)[i].bytes, expected[i].bytes);
  }
  // Nothing but the entry is left in the directory (no temporary files).
  std::error_code ec;
  int files = 0;
  for (llvm::sys::fs::directory_iterator it(dir_, ec), end; it != end && !ec;
       it.increment(ec))
    ++files;
  EXPECT_EQ(files, 1);
}

TEST_F(CompileCacheTest, ItsDirectoryAndEntriesAreThisUsersOnly) {
  llvm::SmallString<256> nested(dir_);
  llvm::sys::path::append(nested, "new", "cache");
  CompileCache cache{std::string(nested)};
  std::string key = CompileCache::key({"private"});
  ASSERT_EQ(cache.store(key, sections()), "");
  struct stat st;
  ASSERT_EQ(::stat(nested.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  llvm::SmallString<256> file(nested);
  llvm::sys::path::append(file, key + ".nhc");
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u);
}

TEST_F(CompileCacheTest, DamagedOrTruncatedEntriesMissAndAreRewritten) {
  CompileCache cache{std::string(dir_)};
  std::string key = CompileCache::key({"damaged"});
  ASSERT_EQ(cache.store(key, sections()), "");
  std::string bytes = readFile(entry(key));
  ASSERT_GT(bytes.size(), 600u);

  std::string flipped = bytes;
  flipped[bytes.size() - 500] ^= 0x01; // inside the payload
  writeFile(entry(key), flipped);
  EXPECT_FALSE(cache.lookup(key)) << "checksum not checked";

  writeFile(entry(key), bytes.substr(0, bytes.size() / 2));
  EXPECT_FALSE(cache.lookup(key)) << "truncation not noticed";

  writeFile(entry(key), "");
  EXPECT_FALSE(cache.lookup(key));

  ASSERT_EQ(cache.store(key, sections()), "");
  EXPECT_TRUE(cache.lookup(key));
}

TEST_F(CompileCacheTest, AnEntryUnderAnotherKeysNameMisses) {
  CompileCache cache{std::string(dir_)};
  std::string a = CompileCache::key({"a"});
  std::string b = CompileCache::key({"b"});
  ASSERT_EQ(cache.store(a, sections()), "");
  writeFile(entry(b), readFile(entry(a)));
  EXPECT_FALSE(cache.lookup(b));
  EXPECT_TRUE(cache.lookup(a));
}

TEST_F(CompileCacheTest, OnlyRegularFilesWithinTheLimitAreRead) {
  CompileCache cache{std::string(dir_)};
  std::string key = CompileCache::key({"regular"});
  ASSERT_EQ(cache.store(key, sections()), "");
  uint64_t size = readFile(entry(key)).size();
  EXPECT_FALSE(CompileCache(std::string(dir_), size - 1).lookup(key));
  EXPECT_TRUE(CompileCache(std::string(dir_), size).lookup(key));

  // A symbolic link to a good entry, in another cache.
  llvm::SmallString<256> other(dir_);
  llvm::sys::path::append(other, "other");
  ASSERT_FALSE(llvm::sys::fs::create_directory(other));
  CompileCache linked{std::string(other)};
  llvm::SmallString<256> link(other);
  llvm::sys::path::append(link, key + ".nhc");
  ASSERT_FALSE(llvm::sys::fs::create_link(entry(key), link));
  EXPECT_FALSE(linked.lookup(key));

  // A FIFO: opening it for reading must not wait for a writer.
  std::string fifoKey = CompileCache::key({"fifo"});
  ASSERT_EQ(::mkfifo(entry(fifoKey).c_str(), 0600), 0);
  EXPECT_FALSE(cache.lookup(fifoKey));
}

TEST_F(CompileCacheTest, UnwritableDirectoryIsReportedAndHarmless) {
  auto [file, under] = directoryUnderAFile();
  CompileCache cache{under};
  std::string key = CompileCache::key({"unwritable"});
  std::string error = cache.store(key, sections());
  EXPECT_NE(error.find(under), std::string::npos) << error;
  EXPECT_EQ(cache.storeFailures(), 1u);
  EXPECT_FALSE(cache.lookup(key));
  EXPECT_EQ(readFile(file), "x");
}

// The host and CUDA code store from two threads; whichever fails first,
// one of them says so.
TEST_F(CompileCacheTest, AFailedStoreIsReportedOnceWhateverTheThreads) {
  auto [file, under] = directoryUnderAFile();
  CompileCache cache{under};
  EXPECT_FALSE(cache.claimStoreFailureReport()) << "nothing failed yet";
  std::atomic<int> claims{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      EXPECT_NE(cache.store(CompileCache::key({std::to_string(i)}), sections()),
                "");
      if (cache.claimStoreFailureReport())
        ++claims;
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(claims, 1);
  EXPECT_EQ(cache.storeFailures(), 4u);
}

TEST_F(CompileCacheTest, DisabledCacheNeitherReadsNorWrites) {
  CompileCache cache;
  EXPECT_FALSE(cache.enabled());
  std::string key = CompileCache::key({"disabled"});
  EXPECT_EQ(cache.store(key, sections()), "");
  EXPECT_FALSE(cache.lookup(key));
  // An empty key (the compiler's files unreadable) is never stored.
  CompileCache real{std::string(dir_)};
  EXPECT_EQ(real.store("", sections()), "");
  EXPECT_FALSE(llvm::sys::fs::exists(entry("")));
}

TEST_F(CompileCacheTest, LeastRecentlyUsedEntriesGoPastTheLimit) {
  CompileCache sizing{std::string(dir_)};
  std::string small = CompileCache::key({"sizing"});
  ASSERT_EQ(sizing.store(small, sections(1000)), "");
  uint64_t smallBytes = readFile(entry(small)).size();
  llvm::sys::fs::remove(entry(small));

  // Room for two small entries and a large one, not for all three:
  // dropping the large one alone brings it under half the limit.
  CompileCache cache{std::string(dir_), smallBytes * 6};
  std::string a = CompileCache::key({"a"}), b = CompileCache::key({"b"}),
              c = CompileCache::key({"c"});
  ASSERT_EQ(cache.store(a, sections(1000)), "");
  setModified(entry(a), std::chrono::seconds(100));
  ASSERT_EQ(cache.store(b, sections(smallBytes * 4)), "");
  setModified(entry(b), std::chrono::seconds(50));
  ASSERT_TRUE(cache.lookup(a)); // a is now the most recently used
  ASSERT_EQ(cache.store(c, sections(1000)), "");
  EXPECT_TRUE(cache.lookup(a));
  EXPECT_FALSE(llvm::sys::fs::exists(entry(b)));
  EXPECT_TRUE(cache.lookup(c));
}

// NHC_CACHE_DIR may name a directory the user keeps other files in:
// eviction and the removal of stale files touch the cache's own names only
// (`<64 hex digits>.nhc`, `.lock`, `.nhc.<pid>.<hex>.tmp`), and only regular
// files, however old or large the others are.
TEST_F(CompileCacheTest, FilesThatAreNotTheCachesAreNeverRemoved) {
  std::string key = CompileCache::key({"own"});
  std::vector<std::string> users;
  for (const char *name :
       {"nemotron-8b.nhc", "notes.tmp", "build.lock", "model.nhc.1.2.tmp",
        "0123.nhc"})
    users.push_back((llvm::Twine(dir_) + "/" + name).str());
  users.push_back(entry(std::string(64, 'A'))); // upper case: no key of ours
  users.push_back(entry(key.substr(1)));        // 63 digits
  users.push_back(entry(key) + ".1.2.tmp.bak");
  for (const std::string &path : users) {
    writeFile(path, std::string(4096, 'u'));
    setModified(path, std::chrono::hours(48));
  }
  // A link named as a stale lock, to a user's file: neither is removed.
  std::string target = users.front(), link = lockFile(CompileCache::key({"l"}));
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);

  CompileCache cache{std::string(dir_), /*maxBytes=*/1}; // every store evicts
  ASSERT_EQ(cache.store(key, sections()), "");
  ASSERT_EQ(cache.store(CompileCache::key({"other"}), sections()), "");
  for (const std::string &path : users) {
    EXPECT_TRUE(llvm::sys::fs::exists(path)) << path;
    EXPECT_EQ(readFile(path), std::string(4096, 'u')) << path;
  }
  EXPECT_TRUE(llvm::sys::fs::is_symlink_file(link));
  EXPECT_FALSE(llvm::sys::fs::exists(entry(key)))
      << "the cache's own entries are evicted past the limit";
}

TEST_F(CompileCacheTest, StoresRemoveTemporaryFilesTheirProcessLeft) {
  CompileCache cache{std::string(dir_)};
  // As a store names them: <entry>.<pid>.<hex>.tmp
  std::string stale = entry(CompileCache::key({"a"})) + ".4242.1F2E.tmp";
  std::string fresh = entry(CompileCache::key({"b"})) + ".4242.1F2E.tmp";
  writeFile(stale, "partial");
  writeFile(fresh, "partial");
  setModified(stale, std::chrono::hours(2));
  ASSERT_EQ(cache.store(CompileCache::key({"c"}), sections()), "");
  EXPECT_FALSE(llvm::sys::fs::exists(stale));
  EXPECT_TRUE(llvm::sys::fs::exists(fresh)) << "another store may be writing it";
}

TEST_F(CompileCacheTest, StoresRemoveLockFilesAnHourOld) {
  CompileCache cache{std::string(dir_)};
  std::string stale = lockFile(CompileCache::key({"a"})),
              fresh = lockFile(CompileCache::key({"b"}));
  writeFile(stale, "");
  writeFile(fresh, "");
  setModified(stale, std::chrono::hours(2));
  ASSERT_EQ(cache.store(CompileCache::key({"c"}), sections()), "");
  EXPECT_FALSE(llvm::sys::fs::exists(stale));
  EXPECT_TRUE(llvm::sys::fs::exists(fresh));
}

// Two compiles of the same code at once (two processes in use; here two
// caches on one directory, each lock its own open file, as flock(2) sees
// two processes): the second waits for the first's lock and then finds
// its entry instead of compiling it again.
TEST_F(CompileCacheTest, ASecondCompileWaitsForTheFirstsEntry) {
  CompileCache first{std::string(dir_)}, second{std::string(dir_)};
  std::string key = CompileCache::key({"fill"});
  ASSERT_FALSE(second.lookup(key));
  CompileCache::FillLock held = first.lockForFill({key});
  ASSERT_EQ(held.held(), 1u);
  EXPECT_FALSE(held.waited());
  EXPECT_TRUE(llvm::sys::fs::exists(lockFile(key)));
  // Held: a second compile that may not wait at all gets no lock.
  CompileCache::FillLock none =
      second.lockForFill({key}, std::chrono::milliseconds(0));
  EXPECT_TRUE(none.waited());
  EXPECT_EQ(none.held(), 0u);

  // The first stores its entry, then lets go; the second, waiting, takes
  // the lock only then, so its lookup finds the entry, however the two
  // threads are scheduled.
  std::thread firstCompile([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(first.store(key, sections()), "");
    held = CompileCache::FillLock();
  });
  CompileCache::FillLock lock =
      second.lockForFill({key}, std::chrono::seconds(120));
  std::optional<std::vector<CachedSection>> found = second.lookupAgain(key);
  firstCompile.join();

  EXPECT_EQ(lock.held(), 1u);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->size(), 2u);
  EXPECT_EQ(second.lookups(), 1u) << "lookupAgain is not another lookup";
  EXPECT_EQ(second.hits(), 1u);
  EXPECT_EQ(first.fillWaitSeconds(), 0.0);
  lock = CompileCache::FillLock();
  EXPECT_FALSE(llvm::sys::fs::exists(lockFile(key)))
      << "a released lock's file is removed";
}

TEST_F(CompileCacheTest, AFillLockIsWaitedForNoLongerThanAsked) {
  CompileCache first{std::string(dir_)}, second{std::string(dir_)};
  std::string key = CompileCache::key({"stuck"});
  CompileCache::FillLock held = first.lockForFill({key});
  ASSERT_EQ(held.held(), 1u);
  auto start = std::chrono::steady_clock::now();
  CompileCache::FillLock lock =
      second.lockForFill({key}, std::chrono::milliseconds(100));
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(100));
  EXPECT_TRUE(lock.waited());
  EXPECT_EQ(lock.held(), 0u) << "the caller compiles without it";
  EXPECT_TRUE(llvm::sys::fs::exists(lockFile(key)))
      << "only its holder removes it";
}

TEST_F(CompileCacheTest, FillLocksOfOtherKeysAreNotWaitedFor) {
  CompileCache first{std::string(dir_)}, second{std::string(dir_)};
  std::string a = CompileCache::key({"a"}), b = CompileCache::key({"b"}),
              c = CompileCache::key({"c"});
  CompileCache::FillLock held = first.lockForFill({a});
  CompileCache::FillLock lock =
      second.lockForFill({c, b, c}, std::chrono::seconds(120));
  EXPECT_EQ(lock.held(), 2u);
  EXPECT_FALSE(lock.waited());
}

TEST_F(CompileCacheTest, FillLocksNeedAWritableDirectoryAndARegularFile) {
  std::string key = CompileCache::key({"odd"});
  CompileCache off;
  EXPECT_EQ(off.lockForFill({key}).held(), 0u);

  auto [file, under] = directoryUnderAFile();
  CompileCache unwritable{under};
  CompileCache::FillLock none = unwritable.lockForFill({key});
  EXPECT_EQ(none.held(), 0u);
  EXPECT_FALSE(none.waited());

  // A FIFO (whose open would wait for a writer) or a symbolic link in the
  // lock's place: no lock, no wait, the link's target untouched.
  CompileCache cache{std::string(dir_)};
  ASSERT_EQ(::mkfifo(lockFile(key).c_str(), 0600), 0);
  EXPECT_EQ(cache.lockForFill({key}, std::chrono::seconds(120)).held(), 0u);
  std::string linked = CompileCache::key({"linked"});
  ASSERT_EQ(::symlink(file.c_str(), lockFile(linked).c_str()), 0);
  EXPECT_EQ(cache.lockForFill({linked}, std::chrono::seconds(120)).held(), 0u);
  EXPECT_EQ(readFile(file), "x");
  EXPECT_TRUE(llvm::sys::fs::exists(lockFile(key)));
}

/// takeOrLockForFill's `take` that accepts entries of two sections and
/// records which indices it was offered.
struct Taker {
  std::vector<size_t> offered, taken;
  bool operator()(size_t i, std::optional<std::vector<CachedSection>> entry) {
    offered.push_back(i);
    if (!entry || entry->size() != 2)
      return false;
    taken.push_back(i);
    return true;
  }
};

TEST_F(CompileCacheTest, TakeOrLockForFillLocksOnlyWhatItMustCompile) {
  CompileCache cache{std::string(dir_)};
  std::string stored = CompileCache::key({"stored"}),
              wrong = CompileCache::key({"wrong"}),
              absent = CompileCache::key({"absent"});
  ASSERT_EQ(cache.store(stored, sections()), "");
  ASSERT_EQ(cache.store(wrong, {sections().front()}), "");
  Taker taker;
  CompileCache::Fill fill =
      cache.takeOrLockForFill({stored, wrong, absent}, taker);
  EXPECT_EQ(fill.missing, (std::vector<size_t>{1, 2}))
      << "an entry `take` refuses is compiled again";
  EXPECT_EQ(taker.taken, (std::vector<size_t>{0}));
  EXPECT_EQ(taker.offered, (std::vector<size_t>{0, 1, 2, 1, 2}))
      << "the misses are looked up again once locked";
  EXPECT_EQ(fill.lock.held(), 2u);
  EXPECT_FALSE(fill.lock.waited());
  EXPECT_EQ(cache.lookups(), 3u);
  EXPECT_FALSE(llvm::sys::fs::exists(lockFile(stored)));
  EXPECT_TRUE(llvm::sys::fs::exists(lockFile(absent)));

  Taker again;
  CompileCache::Fill all = cache.takeOrLockForFill({stored}, again);
  EXPECT_TRUE(all.missing.empty());
  EXPECT_EQ(all.lock.held(), 0u) << "nothing to compile, nothing locked";

  CompileCache off;
  Taker offTaker;
  CompileCache::Fill none = off.takeOrLockForFill({"", ""}, offTaker);
  EXPECT_EQ(none.missing, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(none.lock.held(), 0u);
}

TEST_F(CompileCacheTest, TakeOrLockForFillTakesTheEntryItWaitedFor) {
  CompileCache first{std::string(dir_)}, second{std::string(dir_)};
  std::string key = CompileCache::key({"waited"});
  CompileCache::FillLock held = first.lockForFill({key});
  ASSERT_EQ(held.held(), 1u);
  std::thread firstCompile([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(first.store(key, sections()), "");
    held = CompileCache::FillLock();
  });
  Taker taker;
  CompileCache::Fill fill = second.takeOrLockForFill({key}, taker);
  firstCompile.join();
  EXPECT_TRUE(fill.missing.empty());
  EXPECT_EQ(taker.taken, (std::vector<size_t>{0}));
  EXPECT_EQ(second.hits(), 1u);
}

TEST_F(CompileCacheTest, TakeOrLockForFillLetsGoWhenTheOtherStoredNothing) {
  // The process waited for fails: this one compiles, and holds no lock, so
  // that a third waiting process compiles at once rather than after it.
  // The release is timed to come while this one waits; on a loaded machine
  // it may come first (then nothing was waited for), so the scenario is
  // tried until a wait happened.
  CompileCache first{std::string(dir_)}, second{std::string(dir_)};
  for (int attempt = 0; attempt < 5 && second.fillWaitSeconds() == 0; ++attempt) {
    std::string key = CompileCache::key({"failed", std::to_string(attempt)});
    CompileCache::FillLock held = first.lockForFill({key});
    ASSERT_EQ(held.held(), 1u);
    std::thread failedCompile([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300 << attempt));
      held = CompileCache::FillLock();
    });
    Taker taker;
    CompileCache::Fill fill = second.takeOrLockForFill({key}, taker);
    failedCompile.join();
    EXPECT_EQ(fill.missing, (std::vector<size_t>{0}));
    if (second.fillWaitSeconds() == 0)
      continue; // released before the wait began: try again
    EXPECT_EQ(fill.lock.held(), 0u);
    CompileCache::FillLock third =
        first.lockForFill({key}, std::chrono::milliseconds(0));
    EXPECT_EQ(third.held(), 1u);
    EXPECT_FALSE(third.waited());
  }
  EXPECT_GT(second.fillWaitSeconds(), 0.0) << "no attempt waited";
}

TEST(CompileCacheEnvironment, DirectoryAndSwitchComeFromTheEnvironment) {
  ::setenv("HOME", "/home/user", 1);
  ::unsetenv("XDG_CACHE_HOME");
  ::unsetenv("NHC_CACHE_DIR");
  ::unsetenv("NHC_CACHE_DISABLE");
  EXPECT_EQ(CompileCache::fromEnvironment().directory(),
            "/home/user/.cache/nhc");
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(CompileCache::fromEnvironment().directory(), "/xdg/nhc");
  ::setenv("NHC_CACHE_DIR", "/elsewhere", 1);
  EXPECT_EQ(CompileCache::fromEnvironment().directory(), "/elsewhere");
  ::setenv("NHC_CACHE_DISABLE", "0", 1);
  EXPECT_TRUE(CompileCache::fromEnvironment().enabled());
  ::setenv("NHC_CACHE_DISABLE", "1", 1);
  EXPECT_FALSE(CompileCache::fromEnvironment().enabled());
  ::unsetenv("NHC_CACHE_DISABLE");
  ::unsetenv("NHC_CACHE_DIR");
  ::unsetenv("XDG_CACHE_HOME");
  ::unsetenv("HOME");
  EXPECT_FALSE(CompileCache::fromEnvironment().enabled());
}

} // namespace
