/* clone.c: the clone and refresh jobs (clone.h). */
#include "ops/clone.h"
#include "ops/env_int.h"

void ops_register_clone(void)
{
}
