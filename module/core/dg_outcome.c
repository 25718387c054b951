/*
 * SQL outcome words (see dg_outcome.h).
 */

#include <string.h>

#include "dg_outcome.h"


static const char  *dg_outcome_words[] = {
    [DG_OUTCOME_INVALID] = "",
    [DG_OUTCOME_CREATED] = "created",
    [DG_OUTCOME_DUPLICATE] = "duplicate",
    [DG_OUTCOME_CONFLICT] = "conflict",
    [DG_OUTCOME_UPDATED] = "updated",
    [DG_OUTCOME_SAME] = "same",
    [DG_OUTCOME_TRANSITION] = "transition",
    [DG_OUTCOME_UNKNOWN] = "unknown",
    [DG_OUTCOME_FORBIDDEN] = "forbidden"
};


dg_outcome_e
dg_outcome_parse(const char *word, size_t len)
{
    size_t  i;

    for (i = DG_OUTCOME_INVALID + 1;
         i < sizeof(dg_outcome_words) / sizeof(dg_outcome_words[0]);
         i++)
    {
        if (strlen(dg_outcome_words[i]) == len
            && memcmp(dg_outcome_words[i], word, len) == 0)
        {
            return (dg_outcome_e) i;
        }
    }

    return DG_OUTCOME_INVALID;
}


const char *
dg_outcome_word(dg_outcome_e outcome)
{
    if ((size_t) outcome
        >= sizeof(dg_outcome_words) / sizeof(dg_outcome_words[0]))
    {
        return "";
    }

    return dg_outcome_words[outcome];
}
