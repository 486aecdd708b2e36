//===- RangeAnalysis.cpp - placeholder ------------------------------------===//
#include "mp/Analysis/RangeAnalysis.h"
