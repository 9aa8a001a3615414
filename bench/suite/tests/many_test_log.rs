//! 64 tests, each logging 1,000,000 `info!` lines, under `#[test_log::test]`: run
//! with `--test-threads=64` under `/usr/bin/time -v` for the peak memory and wall
//! time of many loud tests at once (see the README's Performance table).

mod common;

/// One test per name, each logging a million lines.
macro_rules! tests {
    ($($name:ident)*) => {
        $(
            #[test_log::test]
            fn $name() {
                common::log_million();
            }
        )*
    };
}

tests!(
    t1 t2 t3 t4 t5 t6 t7 t8 t9 t10 t11 t12 t13 t14 t15 t16 t17 t18 t19 t20 t21 t22 t23 t24 t25 t26 t27 t28 t29 t30 t31 t32 t33 t34 t35 t36 t37 t38 t39 t40 t41 t42 t43 t44 t45 t46 t47 t48 t49 t50 t51 t52 t53 t54 t55 t56 t57 t58 t59 t60 t61 t62 t63 t64
);
