// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-expose-values)" -verify-diagnostics

// expected-error @+1 {{mp-expose-values needs the 'entry' option}}
module {}
