/*
 * SQL outcome words: every word of sql/migrations' functions, whole words
 * only (the driver once matched first letters: "create" and "dup" passed).
 */

#include <string.h>

#include "dg_outcome.h"
#include "unit.h"


static dg_outcome_e
parse(const char *s)
{
    return dg_outcome_parse(s, strlen(s));
}


static void
every_word(void)
{
    dg_outcome_e  o;

    CU_ASSERT_EQUAL(parse("created"), DG_OUTCOME_CREATED);
    CU_ASSERT_EQUAL(parse("duplicate"), DG_OUTCOME_DUPLICATE);
    CU_ASSERT_EQUAL(parse("conflict"), DG_OUTCOME_CONFLICT);
    CU_ASSERT_EQUAL(parse("updated"), DG_OUTCOME_UPDATED);
    CU_ASSERT_EQUAL(parse("same"), DG_OUTCOME_SAME);
    CU_ASSERT_EQUAL(parse("transition"), DG_OUTCOME_TRANSITION);
    CU_ASSERT_EQUAL(parse("unknown"), DG_OUTCOME_UNKNOWN);
    CU_ASSERT_EQUAL(parse("forbidden"), DG_OUTCOME_FORBIDDEN);

    for (o = DG_OUTCOME_CREATED; o <= DG_OUTCOME_FORBIDDEN; o++) {
        CU_ASSERT_EQUAL(parse(dg_outcome_word(o)), o);
    }
}


static void
whole_words_only(void)
{
    CU_ASSERT_EQUAL(parse(""), DG_OUTCOME_INVALID);
    CU_ASSERT_EQUAL(parse("create"), DG_OUTCOME_INVALID);
    CU_ASSERT_EQUAL(parse("createdx"), DG_OUTCOME_INVALID);
    CU_ASSERT_EQUAL(parse("dup"), DG_OUTCOME_INVALID);
    CU_ASSERT_EQUAL(parse("up"), DG_OUTCOME_INVALID);
    CU_ASSERT_EQUAL(parse("sam"), DG_OUTCOME_INVALID);
    CU_ASSERT_EQUAL(parse("Created"), DG_OUTCOME_INVALID);
    CU_ASSERT_EQUAL(dg_outcome_parse("created", 6), DG_OUTCOME_INVALID);
    CU_ASSERT_EQUAL(dg_outcome_parse("createdX", 7), DG_OUTCOME_CREATED);
    CU_ASSERT_STRING_EQUAL(dg_outcome_word(DG_OUTCOME_INVALID), "");
    CU_ASSERT_STRING_EQUAL(dg_outcome_word((dg_outcome_e) 99), "");
}


static CU_TestInfo  tests[] = {
    { "every word of the SQL functions", every_word },
    { "whole words only", whole_words_only },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(outcome, tests)
