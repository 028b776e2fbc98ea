/* c_api_test.c - The public headers compile as strict C11 and link.
 * Exercises a few calls that need no files. Exit code 0 = pass. */
#include <stdio.h>
#include <string.h>

#include "nhc/runtime/api.h"

static int failures = 0;

#define EXPECT(cond)                                                           \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);      \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

int main(void) {
  nhc_artifact_t *artifact = NULL;
  nhc_manifest_t *manifest = NULL;
  nhc_weights_t *weights = NULL;
  nhc_state_pool_t *pool = NULL;
  nhc_session_t *session = NULL;
  nhc_request_t request = {0, NULL, 0};

  EXPECT(sizeof(nhc_artifact_header_t) == NHC_ARTIFACT_HEADER_SIZE);
  EXPECT(sizeof(nhc_artifact_section_entry_t) ==
         NHC_ARTIFACT_SECTION_ENTRY_SIZE);
  EXPECT(nhc_fnv1a64("a", 1, NHC_FNV1A64_OFFSET_BASIS) ==
         0xaf63dc4c8601ec8cull);
  EXPECT(strcmp(nhc_artifact_section_kind_name(NHC_SECTION_PTX), "PTX") == 0);
  EXPECT(nhc_dtype_size(nhc_dtype_from_string("BF16")) == 2);
  EXPECT(strcmp(nhc_status_string(NHC_NOT_FOUND), "not found") == 0);

  EXPECT(nhc_artifact_load("/nonexistent/a.nhc", &artifact) == NHC_IO_ERROR);
  EXPECT(artifact == NULL);
  EXPECT(strstr(nhc_last_error(), "/nonexistent/a.nhc") != NULL);

  EXPECT(nhc_manifest_parse("{}", 2, "c-test", &manifest) ==
         NHC_INVALID_FORMAT);
  EXPECT(strstr(nhc_last_error(), "c-test") != NULL);
  EXPECT(nhc_weights_open("/nonexistent/ckpt", &weights) == NHC_IO_ERROR);
  EXPECT(nhc_state_pool_create(NULL, 1, 1, &pool) == NHC_INVALID_ARGUMENT);
  {
    nhc_state_tensor_info_t info;
    nhc_state_tensor_desc_t desc;
    uint32_t index = 0;
    void *data = NULL;
    EXPECT(NHC_MAX_STATE_RANK == 4);
    EXPECT(nhc_state_pool_tensor_count(NULL) == 0);
    EXPECT(nhc_state_pool_tensor_info(NULL, 0, &info) == NHC_INVALID_ARGUMENT);
    EXPECT(nhc_state_pool_find_tensor(NULL, "layers.0.conv_state", &index) ==
           NHC_INVALID_ARGUMENT);
    EXPECT(nhc_state_pool_tensor_data(NULL, 0, 0, &data) ==
           NHC_INVALID_ARGUMENT);
    EXPECT(nhc_manifest_state_tensor_count(NULL) == 0);
    EXPECT(nhc_manifest_state_tensor_at(NULL, 0, &desc) ==
           NHC_INVALID_ARGUMENT);
  }

  EXPECT(nhc_session_create(NULL, NULL, 1, 1, &session) ==
         NHC_INVALID_ARGUMENT);
  EXPECT(session == NULL);
  EXPECT(nhc_session_step(NULL, &request, 1, NHC_LOGITS_LAST, NULL, 0) ==
         NHC_INVALID_ARGUMENT);
  EXPECT(strcmp(nhc_status_string(NHC_UNSUPPORTED), "unsupported") == 0);

  /* Release functions accept NULL. */
  nhc_artifact_release(NULL);
  nhc_manifest_release(NULL);
  nhc_weights_release(NULL);
  nhc_state_pool_release(NULL);
  nhc_session_release(NULL);

  if (failures == 0)
    printf("c_api_test: ok\n");
  return failures == 0 ? 0 : 1;
}
