@area.limits
Feature: Daily limits by risk tier (风险等级与单日限额)
  The issuer caps what each payer pays in one day (Beijing time) by the risk tier of the
  verification used: CNY 1,000 for tier C, CNY 5,000 for tier B, and CNY 500 for every payment
  with a static code, whatever the tier (银发〔2017〕296号; business.json risk_tiers). A payment
  that would go past the limit is declined with 33 and moves no money. From profile 1.1 the
  tier is each payment's (business.json risk_tiers.by_verification): password-free C, with the
  password B, so one payer's purchases count against two limits the same day (LIM-06); under
  1.0 it is the payer account's, as the "is in risk tier" steps set it.

  @tc.LIM-01 @req.R-FLOW-10 @role.issuer
  Scenario: The SUT stops a tier C payer at CNY 1,000 a day of payment-code purchases
    Given a payer account at the SUT holding 2000.00 CNY
    And the payer account at the SUT is in risk tier C
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 600.00 CNY with that payment code
    When the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 500.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "33"
    And the payer account at the SUT holds 1400.00 CNY
    When the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 400.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the payer account at the SUT holds 1000.00 CNY

  @tc.LIM-02 @req.R-FLOW-10 @role.issuer
  Scenario: The SUT caps static merchant code payments at CNY 500 a day, even for a tier B payer
    Given a payer account at the SUT holding 2000.00 CNY
    And the payer account at the SUT is in risk tier B
    And a static merchant code of the peer acquirer for merchant "Corner Shop"
    When the payer scans the merchant code in the SUT's wallet and pays 300.00 CNY
    Then the SUT reports the payment as approved
    When the payer scans the merchant code in the SUT's wallet and pays 250.00 CNY
    Then the SUT reports the payment as declined with response code "33"
    And the payer account at the SUT holds 1700.00 CNY

  @tc.LIM-03 @req.R-FLOW-10 @role.issuer
  Scenario: The SUT counts a tier C payer's day over every acquirer: paid at one, stopped at another
    Given a payer account at the SUT holding 2000.00 CNY
    And the payer account at the SUT is in risk tier C
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 600.00 CNY with that payment code
    When the SUT's wallet shows a payment code for that account
    And the terminal of the acquirer-q's acquirer scans the payment code for 500.00 CNY
    Then the acquirer-q's acquirer reports the purchase as declined with response code "33"
    And the payer account at the SUT holds 1400.00 CNY
    When the SUT's wallet shows a payment code for that account
    And the terminal of the acquirer-q's acquirer scans the payment code for 400.00 CNY
    Then the acquirer-q's acquirer reports the purchase as approved
    And the payer account at the SUT holds 1000.00 CNY

  @tc.LIM-04 @req.R-FLOW-10 @role.issuer
  Scenario: The SUT lets a tier C payer reach CNY 1,000 in a day exactly, and not one fen more
    Given a payer account at the SUT holding 2000.00 CNY
    And the payer account at the SUT is in risk tier C
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 999.99 CNY with that payment code
    When the SUT's wallet shows a payment code for that account
    And the terminal of the acquirer-q's acquirer scans the payment code for 0.01 CNY
    Then the acquirer-q's acquirer reports the purchase as approved
    When the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 0.01 CNY
    Then the peer acquirer reports the purchase as declined with response code "33"
    And the payer account at the SUT holds 1000.00 CNY

  @tc.LIM-05 @req.R-FLOW-10 @role.issuer
  Scenario: The SUT's CNY 500 a day for static merchant codes counts static code payments only, up to the fen
    Given a payer account at the SUT holding 2000.00 CNY
    And the payer account at the SUT is in risk tier B
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 400.00 CNY with that payment code
    And a static merchant code of the peer acquirer for merchant "Corner Shop"
    When the payer scans the merchant code in the SUT's wallet and pays 500.00 CNY
    Then the SUT reports the payment as approved
    When the payer scans the merchant code in the SUT's wallet and pays 0.01 CNY
    Then the SUT reports the payment as declined with response code "33"
    And the payer account at the SUT holds 1100.00 CNY

  @tc.LIM-06 @req.R-FLOW-15 @req.R-FLOW-10 @role.issuer @feature.cpm-password
  Scenario: The SUT stops a payer's password-free purchases at tier C's CNY 1,000, then takes a purchase with the password against tier B's
    Given a payer account at the SUT holding 3000.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 900.00 CNY with that payment code
    When the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 200.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "33"
    When the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 1500.00 CNY
    Then the peer acquirer's purchase was not stopped at a daily limit with response code "33"
    And the peer acquirer reports the purchase as waiting for the payer
    When the payer confirms the purchase with the password in the SUT's wallet
    Then the peer acquirer reports the purchase as approved once it has queried it
    And the payer account at the SUT holds 600.00 CNY
