/*
 * Runs every registered suite; "-s NAME" runs one suite.  Exits non-zero
 * when any assertion failed.
 */

#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "unit.h"

#define DG_UNIT_MAX_SUITES  64

static struct {
    const char   *name;
    CU_TestInfo  *tests;
} suites[DG_UNIT_MAX_SUITES];

static int  nsuites;


void
dg_unit_register(const char *name, CU_TestInfo *tests)
{
    if (nsuites == DG_UNIT_MAX_SUITES) {
        fprintf(stderr, "unit: too many suites, raise DG_UNIT_MAX_SUITES\n");
        return;
    }

    suites[nsuites].name = name;
    suites[nsuites].tests = tests;
    nsuites++;
}


int
main(int argc, char **argv)
{
    int           i, failed;
    const char   *only;
    CU_SuiteInfo  info[DG_UNIT_MAX_SUITES + 1];
    int           n;

    only = (argc == 3 && strcmp(argv[1], "-s") == 0) ? argv[2] : NULL;

    n = 0;
    for (i = 0; i < nsuites; i++) {
        if (only != NULL && strcmp(only, suites[i].name) != 0) {
            continue;
        }

        memset(&info[n], 0, sizeof(CU_SuiteInfo));
        info[n].pName = (char *) suites[i].name;
        info[n].pTests = suites[i].tests;
        n++;
    }

    memset(&info[n], 0, sizeof(CU_SuiteInfo));

    if (CU_initialize_registry() != CUE_SUCCESS
        || CU_register_suites(info) != CUE_SUCCESS)
    {
        fprintf(stderr, "unit: %s\n", CU_get_error_msg());
        return 2;
    }

    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();

    failed = CU_get_number_of_failures() != 0
             || CU_get_number_of_tests_failed() != 0;

    CU_cleanup_registry();

    return failed ? 1 : 0;
}
