#ifndef TENANTRY_TESTS_STORAGE_TEMP_DIR_H_
#define TENANTRY_TESTS_STORAGE_TEMP_DIR_H_

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace tenantry::testing {

// A new empty directory under $TEST_TMPDIR, removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir() {
    const char* root = std::getenv("TEST_TMPDIR");
    std::string pattern =
        std::string(root != nullptr ? root : "/tmp") + "/tenantry-XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  // Returns the paths of all files and directories below the directory,
  // relative to it and sorted.
  std::vector<std::string> List() const {
    std::vector<std::string> entries;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(path_)) {
      entries.push_back(
          std::filesystem::relative(entry.path(), path_).string());
    }
    std::sort(entries.begin(), entries.end());
    return entries;
  }

 private:
  std::string path_;
};

}  // namespace tenantry::testing

#endif  // TENANTRY_TESTS_STORAGE_TEMP_DIR_H_
