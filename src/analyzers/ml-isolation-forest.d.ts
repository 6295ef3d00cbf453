/** Types of ml-isolation-forest 0.1.0 (the package ships none; a dev dependency: the tests check `growForest` against it); see node_modules/ml-isolation-forest/src. */
declare module 'ml-isolation-forest' {
  export class IsolationForest {
    constructor(options?: { nEstimators?: number });
    /** Grows `nEstimators` trees on the whole set (appends to any trees already grown). */
    train(trainingSet: number[][]): void;
    /** Scores in 0..1; higher is more anomalous, ≈ 0.5 or below is normal. */
    predict(data: number[][]): number[];
  }
}
