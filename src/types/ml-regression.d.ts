// ml-regression ships no type declarations; its multivariate linear regression comes with its own.
declare module 'ml-regression' {
  import MultivariateLinearRegression from 'ml-regression-multivariate-linear';
  export { MultivariateLinearRegression };
}
